package forms

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"cloud.google.com/go/civil"
	"go.yaml.in/yaml/v3"
)

//go:embed data
var embedded embed.FS

// builtin is loaded and validated when the package is initialised, so a
// broken definition stops the service at start-up rather than in a report.
var builtin = func() *Registry {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		panic(err)
	}
	r, err := Load(sub)
	if err != nil {
		panic("forms: embedded definitions are invalid: " + err.Error())
	}
	return r
}()

// Builtin is the registry of the form definitions shipped with the service.
func Builtin() *Registry { return builtin }

// Registry holds every version of every form.
type Registry struct {
	forms  map[string]*Form   // by Key
	byCode map[string][]*Form // by Code, oldest EffectiveFrom first
}

// Get returns one version of a form.
func (r *Registry) Get(code, version string) (*Form, bool) {
	f, ok := r.forms[code+"@"+version]
	return f, ok
}

// InForce returns the version of the form that applies on day d: the one
// with the latest EffectiveFrom not after d.
func (r *Registry) InForce(code string, d civil.Date) (*Form, bool) {
	var found *Form
	for _, f := range r.byCode[code] {
		if !f.EffectiveFrom.After(d) {
			found = f
		}
	}
	return found, found != nil
}

// All lists every form version, by code then effective date.
func (r *Registry) All() []*Form {
	codes := make([]string, 0, len(r.byCode))
	for c := range r.byCode {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var out []*Form
	for _, c := range codes {
		out = append(out, r.byCode[c]...)
	}
	return out
}

// fileForm is the schema of a definition file.
type fileForm struct {
	Code          string         `yaml:"code"`
	Circular      string         `yaml:"circular"`
	Version       string         `yaml:"version"`
	EffectiveFrom string         `yaml:"effective_from"`
	Shape         string         `yaml:"shape"`
	Source        string         `yaml:"source"`
	Title         string         `yaml:"title"`
	TitleEN       string         `yaml:"title_en"`
	UnitHeader    string         `yaml:"unit_header"`
	Numbered      int            `yaml:"numbered_columns"`
	Columns       []*fileNode    `yaml:"columns"`
	Identities    []fileIdentity `yaml:"identities"`
}

// fileIdentity is an identity as written in a definition file: the printed text, or a mapping
// {identity: "…", verify: "why it is still to check"}.
type fileIdentity struct {
	Printed string
	Verify  string
}

// UnmarshalYAML accepts both spellings; a mapping may hold only identity and verify.
func (i *fileIdentity) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Decode(&i.Printed)
	case yaml.MappingNode:
		for k := 0; k+1 < len(n.Content); k += 2 {
			key, val := n.Content[k], n.Content[k+1]
			var dst *string
			switch key.Value {
			case "identity":
				dst = &i.Printed
			case "verify":
				dst = &i.Verify
			default:
				return fmt.Errorf("line %d: identity field %q is not identity or verify", key.Line, key.Value)
			}
			if err := val.Decode(dst); err != nil {
				return err
			}
		}
		if strings.TrimSpace(i.Printed) == "" {
			return fmt.Errorf("line %d: identity mapping without an identity", n.Line)
		}
		if strings.TrimSpace(i.Verify) == "" {
			return fmt.Errorf("line %d: identity %q: verify is empty (write the identity as plain text instead)", n.Line, i.Printed)
		}
		return nil
	}
	return fmt.Errorf("line %d: an identity is a string or a mapping", n.Line)
}

type fileNode struct {
	No       int         `yaml:"no"`
	Header   string      `yaml:"header"`
	EN       string      `yaml:"en"`
	Metric   string      `yaml:"metric"`
	Measure  string      `yaml:"measure"`
	Formula  string      `yaml:"formula"`
	Remark   string      `yaml:"remark"`
	Children []*fileNode `yaml:"children"`
}

var metricRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)

// Load reads every *.yaml file under fsys as a form definition and
// validates it: unique, contiguous column numbers; a metric on every
// numeric column, unique in the form; formulas and identities over existing
// columns of one measure; every formula printed as an identity; no cycle
// among formulas; one definition per code and version. An identity is
// written as its printed text, or as {identity: "…", verify: "why"} when it
// is still to check against the printed circular (see Check).
func Load(fsys fs.FS) (*Registry, error) {
	r := &Registry{forms: map[string]*Form{}, byCode: map[string][]*Form{}}
	var errs []error
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".yaml" {
			return err
		}
		raw, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		f, err := parseForm(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			return nil
		}
		if _, dup := r.forms[f.Key()]; dup {
			errs = append(errs, fmt.Errorf("%s: %s defined twice", p, f.Key()))
			return nil
		}
		r.forms[f.Key()] = f
		r.byCode[f.Code] = append(r.byCode[f.Code], f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(r.forms) == 0 {
		return nil, errors.New("no form definitions found")
	}
	for _, fs := range r.byCode {
		slices.SortFunc(fs, func(a, b *Form) int { return a.EffectiveFrom.Compare(b.EffectiveFrom) })
		for i := 1; i < len(fs); i++ {
			if fs[i].EffectiveFrom == fs[i-1].EffectiveFrom {
				return nil, fmt.Errorf("%s and %s take effect the same day", fs[i-1].Key(), fs[i].Key())
			}
		}
	}
	return r, nil
}

func parseForm(raw []byte) (*Form, error) {
	var ff fileForm
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&ff); err != nil {
		return nil, err
	}
	f := &Form{
		Code: ff.Code, Circular: ff.Circular, Version: ff.Version, Shape: ff.Shape, Source: ff.Source,
		Title: ff.Title, TitleEN: ff.TitleEN, UnitHeader: ff.UnitHeader,
		byMetric: map[string]*Column{},
	}
	for name, v := range map[string]string{"code": f.Code, "circular": f.Circular, "version": f.Version,
		"title": f.Title, "title_en": f.TitleEN, "unit_header": f.UnitHeader} {
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("%s is empty", name)
		}
	}
	var err error
	if f.EffectiveFrom, err = civil.ParseDate(ff.EffectiveFrom); err != nil {
		return nil, fmt.Errorf("effective_from: %w", err)
	}
	f.Code = strings.TrimSpace(f.Code)
	byNo := map[int]*Column{}
	formulas := map[*Column]string{}
	var build func(n *fileNode, path []string) (*HeaderNode, error)
	build = func(n *fileNode, path []string) (*HeaderNode, error) {
		if strings.TrimSpace(n.Header) == "" || strings.TrimSpace(n.EN) == "" {
			return nil, fmt.Errorf("a header under %q lacks its Vietnamese or English text", strings.Join(path, " / "))
		}
		h := &HeaderNode{Text: n.Header, English: n.EN}
		if len(n.Children) > 0 {
			if n.No != 0 || n.Metric != "" || n.Measure != "" || n.Formula != "" {
				return nil, fmt.Errorf("group %q has column fields (no, metric, measure, formula)", n.Header)
			}
			for _, c := range n.Children {
				ch, err := build(c, append(slices.Clone(path), n.Header))
				if err != nil {
					return nil, err
				}
				h.Children = append(h.Children, ch)
			}
			return h, nil
		}
		if n.No < 1 {
			return nil, fmt.Errorf("column %q has no number", n.Header)
		}
		if _, dup := byNo[n.No]; dup {
			return nil, fmt.Errorf("column number %d is used twice", n.No)
		}
		m, err := parseMeasure(n.Measure)
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", n.No, err)
		}
		c := &Column{No: n.No, Header: n.Header, English: n.EN, Path: path, Metric: n.Metric, Measure: m, Remark: n.Remark}
		switch {
		case m.Numeric() && !metricRE.MatchString(c.Metric):
			return nil, fmt.Errorf("column %d: metric %q is not a dotted lower-case key", n.No, c.Metric)
		case !m.Numeric() && (c.Metric != "" || n.Formula != ""):
			return nil, fmt.Errorf("column %d: a %s column has no metric or formula", n.No, m)
		}
		if c.Metric != "" {
			if o := f.byMetric[c.Metric]; o != nil {
				return nil, fmt.Errorf("columns %d and %d both count %s", o.No, c.No, c.Metric)
			}
			f.byMetric[c.Metric] = c
		}
		if n.Formula != "" {
			formulas[c] = n.Formula
		}
		byNo[n.No] = c
		h.Column = c
		return h, nil
	}
	for _, n := range ff.Columns {
		h, err := build(n, nil)
		if err != nil {
			return nil, err
		}
		f.Header = append(f.Header, h)
	}
	if len(byNo) == 0 {
		return nil, errors.New("no columns")
	}
	for no := 1; no <= len(byNo); no++ {
		c, ok := byNo[no]
		if !ok {
			return nil, fmt.Errorf("column numbers are not 1..%d: %d is missing", len(byNo), no)
		}
		f.Columns = append(f.Columns, c)
	}
	if ff.Numbered != len(f.Columns) {
		return nil, fmt.Errorf("numbered_columns says %d, the tree has %d", ff.Numbered, len(f.Columns))
	}
	// Printed left-to-right order must be the numeric order.
	var leaves []*Column
	for _, h := range f.Header {
		leaves = append(leaves, h.Leaves()...)
	}
	for i, c := range leaves {
		if c.No != i+1 {
			return nil, fmt.Errorf("column %d is printed in position %d", c.No, i+1)
		}
	}
	checkExpr := func(e Expr, measure Measure, what string) error {
		seen := map[int]bool{}
		for _, no := range e {
			c := f.Column(no)
			switch {
			case c == nil:
				return fmt.Errorf("%s refers to column %d, which does not exist", what, no)
			case c.Measure != measure:
				return fmt.Errorf("%s adds column %d (%s) to a %s", what, no, c.Measure, measure)
			case seen[no]:
				return fmt.Errorf("%s counts column %d twice", what, no)
			}
			seen[no] = true
		}
		return nil
	}
	for _, fi := range ff.Identities {
		s := fi.Printed
		id, err := parseIdentity(s)
		if err != nil {
			return nil, fmt.Errorf("identity: %w", err)
		}
		id.Verify = strings.TrimSpace(fi.Verify)
		first := f.Column(id.Sides[0][0])
		if first == nil || !first.Measure.Numeric() {
			return nil, fmt.Errorf("identity %q does not start with a numeric column", s)
		}
		for _, side := range id.Sides {
			if err := checkExpr(side, first.Measure, fmt.Sprintf("identity %q", s)); err != nil {
				return nil, err
			}
		}
		f.Identities = append(f.Identities, id)
	}
	for c, s := range formulas {
		e, err := parseExpr(s)
		if err != nil {
			return nil, fmt.Errorf("column %d formula: %w", c.No, err)
		}
		if err := checkExpr(e, c.Measure, fmt.Sprintf("column %d formula", c.No)); err != nil {
			return nil, err
		}
		if !f.printed(c.No, e) {
			return nil, fmt.Errorf("column %d formula %s is not among the printed identities", c.No, e)
		}
		c.Formula = e
	}
	if f.order, err = formulaOrder(f); err != nil {
		return nil, err
	}
	return f, nil
}

// printed reports whether "no = e" is part of an identity of the form, so
// that a formula is always also checked.
func (f *Form) printed(no int, e Expr) bool {
	for _, id := range f.Identities {
		var hasCol, hasExpr bool
		for _, s := range id.Sides {
			hasCol = hasCol || (len(s) == 1 && s[0] == no)
			hasExpr = hasExpr || s.sameTerms(e)
		}
		if hasCol && hasExpr {
			return true
		}
	}
	return false
}

// formulaOrder sorts formula columns so that each comes after the formula
// columns it adds, and rejects cycles.
func formulaOrder(f *Form) ([]*Column, error) {
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[int]int{}
	var order []*Column
	var visit func(c *Column, trail []int) error
	visit = func(c *Column, trail []int) error {
		switch state[c.No] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("formulas form a cycle: %s", Expr(append(trail, c.No)).cycle())
		}
		state[c.No] = visiting
		for _, no := range c.Formula {
			if op := f.Column(no); op.Formula != nil {
				if err := visit(op, append(trail, c.No)); err != nil {
					return err
				}
			}
		}
		state[c.No] = done
		order = append(order, c)
		return nil
	}
	for _, c := range f.Columns {
		if c.Formula != nil {
			if err := visit(c, nil); err != nil {
				return nil, err
			}
		}
	}
	return order, nil
}

func (e Expr) cycle() string {
	parts := make([]string, len(e))
	for i, n := range e {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, " → ")
}
