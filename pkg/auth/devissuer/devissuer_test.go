package devissuer_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/auth/devissuer"
)

var t0 = time.Date(2025, 3, 10, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func TestMintedTokensVerifyAgainstTheWrittenJWKS(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "issuer")
	c := &clock{t0}
	iss, err := devissuer.Open(devissuer.Config{Dir: dir, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, devissuer.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, want 0600", fi.Mode().Perm())
	}

	// A service knows only the JWKS file, the issuer and the audience.
	keys, err := auth.LoadJWKS(iss.JWKSPath())
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.VerifierConfig{
		Issuer: devissuer.DefaultIssuer, Audience: devissuer.DefaultAudience, Keys: keys, Now: c.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.Mint("demo-handler", auth.RoleHandler, "PRTC-KINHDINH", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	a, err := v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if a != (auth.Actor{Subject: "demo-handler", Role: auth.RoleHandler, Unit: "PRTC-KINHDINH"}) {
		t.Fatalf("actor = %+v", a)
	}
	c.now = t0.Add(16 * time.Minute)
	if _, err := v.Verify(tok); !apperr.IsKind(err, apperr.KindUnauthenticated) {
		t.Fatalf("after ttl: %v", err)
	}
}

func TestReopenKeepsTheKeySoTokensSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t0}
	first, err := devissuer.Open(devissuer.Config{Dir: dir, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := first.Mint("demo-admin", auth.RoleAdmin, "PRTC", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	second, err := devissuer.Open(devissuer.Config{Dir: dir, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if first.JWKS().Keys[0].KeyID != second.JWKS().Keys[0].KeyID {
		t.Fatal("reopening generated a new key")
	}
	v, err := auth.NewVerifier(second.VerifierConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(tok); err != nil {
		t.Fatalf("token of the first run: %v", err)
	}

	// Another directory means another key: its tokens are not accepted.
	other, err := devissuer.Open(devissuer.Config{Dir: t.TempDir(), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.Mint("demo-admin", auth.RoleAdmin, "PRTC", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(foreign); !apperr.IsKind(err, apperr.KindUnauthenticated) {
		t.Fatalf("token from another issuer key: %v", err)
	}
}

func TestConcurrentOpensAgreeOnOneKey(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	kids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			iss, err := devissuer.Open(devissuer.Config{Dir: dir})
			errs[i] = err
			if err == nil {
				kids[i] = iss.JWKS().Keys[0].KeyID
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if kids[i] != kids[0] {
			t.Fatalf("opener %d got key %s, opener 0 got %s", i, kids[i], kids[0])
		}
	}
	final, err := auth.LoadJWKS(filepath.Join(dir, devissuer.JWKSFile))
	if err != nil || len(final.Keys) != 1 || final.Keys[0].KeyID != kids[0] {
		t.Fatalf("JWKS on disk = %+v, %v", final, err)
	}
}

func TestMintDemoCoversEveryRole(t *testing.T) {
	c := &clock{t0}
	iss, err := devissuer.Open(devissuer.Config{Dir: t.TempDir(), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(iss.VerifierConfig())
	if err != nil {
		t.Fatal(err)
	}
	toks, err := iss.MintDemo(8 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[auth.Role]bool{}
	for _, dt := range toks {
		a, err := v.Verify(dt.Token)
		if err != nil {
			t.Fatalf("%s: %v", dt.Subject, err)
		}
		if a.Role != dt.Role || a.Unit != dt.Unit || a.Subject != dt.Subject {
			t.Fatalf("token of %+v verified as %+v", dt.DemoUser, a)
		}
		if !dt.ExpiresAt.Equal(t0.Add(8 * time.Hour)) {
			t.Fatalf("ExpiresAt = %v", dt.ExpiresAt)
		}
		roles[a.Role] = true
	}
	for _, r := range auth.Roles() {
		if !roles[r] {
			t.Errorf("no demo user with role %s", r)
		}
	}
}

func TestMintRefusesIncompleteIdentities(t *testing.T) {
	iss, err := devissuer.Open(devissuer.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for name, mint := range map[string]func() (string, error){
		"no subject":   func() (string, error) { return iss.Mint("", auth.RoleAdmin, "PRTC", time.Hour) },
		"unknown role": func() (string, error) { return iss.Mint("u", "mayor", "PRTC", time.Hour) },
		"no unit":      func() (string, error) { return iss.Mint("u", auth.RoleAdmin, "", time.Hour) },
		"no ttl":       func() (string, error) { return iss.Mint("u", auth.RoleAdmin, "PRTC", 0) },
	} {
		if _, err := mint(); err == nil {
			t.Errorf("%s: minted", name)
		}
	}
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, devissuer.KeyFile), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := devissuer.Open(devissuer.Config{Dir: broken}); err == nil {
		t.Fatal("Open accepted a broken key file")
	}
}
