package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

const (
	testIssuer   = "https://idp.test"
	testAudience = "civicase"
)

// t0 is a business-day morning in Vietnam; every test clock starts there.
var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))

// signingKey is one issuer key: the private half signs, the public half goes into the JWKS.
type signingKey struct {
	alg  jose.SignatureAlgorithm
	kid  string
	priv any
	pub  any
}

func newKey(t *testing.T, alg jose.SignatureAlgorithm, kid string) signingKey {
	t.Helper()
	var priv, pub any
	switch alg {
	case jose.EdDSA:
		p, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub, priv = p, k
	case jose.RS256:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		pub, priv = &k.PublicKey, k
	case jose.ES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub, priv = &k.PublicKey, k
	default:
		t.Fatalf("no key for %s", alg)
	}
	return signingKey{alg: alg, kid: kid, priv: priv, pub: pub}
}

func (k signingKey) jwk() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.pub, KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

type claims struct {
	jwt.Claims
	Role string `json:"role,omitempty"`
	Unit string `json:"unit,omitempty"`
}

func validClaims() claims {
	return claims{
		Claims: jwt.Claims{
			Issuer:    testIssuer,
			Subject:   "u-42",
			Audience:  jwt.Audience{testAudience},
			IssuedAt:  jwt.NewNumericDate(t0),
			NotBefore: jwt.NewNumericDate(t0),
			Expiry:    jwt.NewNumericDate(t0.Add(time.Hour)),
		},
		Role: string(auth.RoleProcessingOfficer),
		Unit: "PRTC",
	}
}

func (k signingKey) sign(t *testing.T, c claims) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// clock is a settable test clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newVerifier(t *testing.T, c *clock, keys ...jose.JSONWebKey) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(auth.VerifierConfig{
		Issuer: testIssuer, Audience: testAudience,
		Keys: jose.JSONWebKeySet{Keys: keys}, Now: c.Now, Leeway: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind() != apperr.KindUnauthenticated || e.Reason() != reason {
		t.Fatalf("err = %v (kind %v), want Unauthenticated %s", err, apperr.KindOf(err), reason)
	}
}

func TestVerifierAcceptsEachAlgorithm(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.EdDSA, jose.RS256, jose.ES256} {
		t.Run(string(alg), func(t *testing.T) {
			k := newKey(t, alg, "k-"+string(alg))
			v := newVerifier(t, &clock{t0.Add(10 * time.Minute)}, k.jwk())
			a, err := v.Verify(k.sign(t, validClaims()))
			if err != nil {
				t.Fatal(err)
			}
			if a != (auth.Actor{Subject: "u-42", Role: auth.RoleProcessingOfficer, Unit: "PRTC"}) {
				t.Fatalf("actor = %+v", a)
			}
		})
	}
}

func TestVerifierRejects(t *testing.T) {
	ed := newKey(t, jose.EdDSA, "ed")
	es := newKey(t, jose.ES256, "es")
	impostor := newKey(t, jose.EdDSA, "ed") // same kid, another key
	c := &clock{t0.Add(10 * time.Minute)}
	// The ES256 key is published as RS256 to test that a key is only used with its declared algorithm.
	esAsRS := es.jwk()
	esAsRS.Algorithm = string(jose.RS256)
	v := newVerifier(t, c, ed.jwk(), esAsRS)

	mod := func(f func(*claims)) claims {
		cl := validClaims()
		f(&cl)
		return cl
	}
	hmac, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")},
		(&jose.SignerOptions{}).WithHeader("kid", "ed"))
	if err != nil {
		t.Fatal(err)
	}
	hs256, _ := jwt.Signed(hmac).Claims(validClaims()).Serialize()
	valid := ed.sign(t, validClaims())
	parts := strings.Split(valid, ".")
	unsigned := parts[0] + "." + parts[1] + "."
	algNone := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"ed"}`)) + "." + parts[1] + "."

	cases := []struct {
		name, token, reason string
	}{
		{"garbage", "not-a-jwt", auth.ReasonTokenMalformed},
		{"hs256", hs256, auth.ReasonTokenMalformed},
		{"alg none", algNone, auth.ReasonTokenMalformed},
		{"empty signature", unsigned, auth.ReasonTokenSignature},
		{"unknown kid", newKey(t, jose.EdDSA, "other").sign(t, validClaims()), auth.ReasonTokenKeyUnknown},
		{"alg not the key's", es.sign(t, validClaims()), auth.ReasonTokenKeyUnknown},
		{"wrong signature", impostor.sign(t, validClaims()), auth.ReasonTokenSignature},
		{"tampered payload", parts[0] + "." + strings.TrimRight(parts[1], "Q") + "A." + parts[2], auth.ReasonTokenSignature},
		{"issuer", ed.sign(t, mod(func(c *claims) { c.Issuer = "https://evil.test" })), auth.ReasonTokenIssuer},
		{"audience", ed.sign(t, mod(func(c *claims) { c.Audience = jwt.Audience{"another-app"} })), auth.ReasonTokenAudience},
		{"no expiry", ed.sign(t, mod(func(c *claims) { c.Expiry = nil })), auth.ReasonTokenClaims},
		{"expired", ed.sign(t, mod(func(c *claims) { c.Expiry = jwt.NewNumericDate(t0.Add(5 * time.Minute)) })), auth.ReasonTokenExpired},
		{"not yet valid", ed.sign(t, mod(func(c *claims) { c.NotBefore = jwt.NewNumericDate(t0.Add(time.Hour)) })), auth.ReasonTokenNotYetValid},
		{"no subject", ed.sign(t, mod(func(c *claims) { c.Subject = "" })), auth.ReasonTokenClaims},
		{"unknown role", ed.sign(t, mod(func(c *claims) { c.Role = "mayor" })), auth.ReasonTokenRoleUnknown},
		{"no unit", ed.sign(t, mod(func(c *claims) { c.Unit = "" })), auth.ReasonTokenUnitRequired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.token)
			wantReason(t, err, tc.reason)
		})
	}
	if _, err := v.Verify(valid); err != nil {
		t.Fatalf("the untampered token: %v", err)
	}
}

func TestVerifierExpiryFollowsTheInjectedClock(t *testing.T) {
	k := newKey(t, jose.EdDSA, "k")
	c := &clock{t0}
	v := newVerifier(t, c, k.jwk())
	tok := k.sign(t, validClaims()) // exp = t0 + 1h, leeway 30s

	c.now = t0.Add(time.Hour + 29*time.Second)
	if _, err := v.Verify(tok); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	c.now = t0.Add(time.Hour + 31*time.Second)
	_, err := v.Verify(tok)
	wantReason(t, err, auth.ReasonTokenExpired)
}

func TestNewVerifierRefusesBadConfig(t *testing.T) {
	k := newKey(t, jose.EdDSA, "k")
	private := jose.JSONWebKey{Key: k.priv, KeyID: "k"}
	noKid := k.jwk()
	noKid.KeyID = ""
	for name, cfg := range map[string]auth.VerifierConfig{
		"no issuer":   {Audience: "a", Keys: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k.jwk()}}},
		"no audience": {Issuer: "i", Keys: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k.jwk()}}},
		"no keys":     {Issuer: "i", Audience: "a"},
		"private key": {Issuer: "i", Audience: "a", Keys: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{private}}},
		"no kid":      {Issuer: "i", Audience: "a", Keys: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{noKid}}},
	} {
		if _, err := auth.NewVerifier(cfg); err == nil {
			t.Errorf("%s: NewVerifier accepted it", name)
		}
	}
}

func TestLoadJWKS(t *testing.T) {
	rs := newKey(t, jose.RS256, "rs")
	es := newKey(t, jose.ES256, "es")
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{rs.jwk(), es.jwk()}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := auth.LoadJWKS(path)
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, &clock{t0}, set.Keys...)
	for _, k := range []signingKey{rs, es} {
		if _, err := v.Verify(k.sign(t, validClaims())); err != nil {
			t.Fatalf("%s: %v", k.alg, err)
		}
	}
	if err := os.WriteFile(path, []byte(`{"keys": [{"kty": "nope"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadJWKS(path); err == nil {
		t.Fatal("LoadJWKS accepted a broken key")
	}
}

func TestActorInContextAndEnvelope(t *testing.T) {
	ctx := context.Background()
	if _, ok := auth.ActorFrom(ctx); ok {
		t.Fatal("actor in an empty context")
	}
	a := auth.Actor{Subject: "u-1", Role: auth.RoleInspector, Unit: "PRTC-TTR"}
	got, ok := auth.ActorFrom(auth.WithActor(ctx, a))
	if !ok || got != a {
		t.Fatalf("ActorFrom = %+v, %v", got, ok)
	}
	p := a.Proto()
	if p.GetSubject() != "u-1" || p.GetRole() != "inspector" || p.GetUnit() != "PRTC-TTR" {
		t.Fatalf("Proto = %v", p)
	}
	if back := auth.ActorFromProto(p); back != a {
		t.Fatalf("ActorFromProto = %+v", back)
	}
	if auth.ActorFromProto((*eventv1.Actor)(nil)) != (auth.Actor{}) {
		t.Fatal("nil proto must give the zero actor")
	}
}

func TestRoles(t *testing.T) {
	want := []string{"reception_officer", "processing_officer", "handler", "agency", "council_standing",
		"council_deputy", "inspector", "auditor", "admin"}
	roles := auth.Roles()
	if len(roles) != len(want) {
		t.Fatalf("roles = %v", roles)
	}
	for i, r := range roles {
		if string(r) != want[i] || !r.Valid() {
			t.Fatalf("role %d = %q", i, r)
		}
		if r.ReadOnly() != (r == auth.RoleAuditor) {
			t.Fatalf("%s.ReadOnly() = %v", r, r.ReadOnly())
		}
	}
	if auth.Role("mayor").Valid() {
		t.Fatal("unknown role is valid")
	}
}

// A token verified once is remembered, but never beyond its validity: the same token is refused
// as expired the moment the clock passes its expiry (plus leeway), and a token altered in any byte
// is checked afresh.
func TestRememberedTokenStillExpiresAndAlteredTokensAreCheckedAfresh(t *testing.T) {
	k := newKey(t, jose.EdDSA, "k1")
	c := &clock{now: t0.Add(time.Minute)}
	v := newVerifier(t, c, k.jwk())
	tok := k.sign(t, validClaims())
	for range 3 {
		if a, err := v.Verify(tok); err != nil || a.Subject != "u-42" {
			t.Fatalf("verify: %+v %v", a, err)
		}
	}
	altered := tok[:len(tok)-2] + "AA"
	if altered == tok {
		altered = tok[:len(tok)-2] + "BB"
	}
	_, err := v.Verify(altered)
	wantReason(t, err, auth.ReasonTokenSignature)

	c.now = t0.Add(time.Hour + 29*time.Second) // within the 30 s leeway
	if _, err := v.Verify(tok); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	c.now = t0.Add(time.Hour + 31*time.Second)
	_, err = v.Verify(tok)
	wantReason(t, err, auth.ReasonTokenExpired)
}
