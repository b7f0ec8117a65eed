// Package devissuer is the built-in token issuer of `make run`: it keeps an Ed25519 signing key in a
// directory, publishes the public key as a JWKS file that the services' verifiers load, and mints
// tokens for demo users, one per role. It has no gRPC in its API, so the dev CLI can print tokens.
//
// It is for development only: anyone who can read the directory can mint any identity.
package devissuer

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/civicase/civicase/pkg/auth"
)

// Defaults of the development deployment.
const (
	// DefaultIssuer is the "iss" of development tokens.
	DefaultIssuer = "https://dev-issuer.civicase.invalid"
	// DefaultAudience is the "aud" of development tokens: every civicase service accepts it.
	DefaultAudience = "civicase"
	// KeyFile holds the Ed25519 private key (PKCS #8, PEM), readable by the owner only.
	KeyFile = "dev-issuer-ed25519.pem"
	// JWKSFile holds the public key set that verifiers load.
	JWKSFile = "jwks.json"
)

// Config says where the issuer keeps its key and what it writes into tokens.
type Config struct {
	// Dir holds KeyFile and JWKSFile; it is created if missing. An existing key is reused, so tokens
	// survive a restart of `make run`.
	Dir string
	// Issuer is the "iss" claim; empty means DefaultIssuer.
	Issuer string
	// Audience is the "aud" claim; empty means DefaultAudience.
	Audience string
	// Now is the clock for "iat", "nbf" and "exp"; nil means time.Now.
	Now func() time.Time
}

// Issuer mints development tokens.
type Issuer struct {
	cfg    Config
	key    ed25519.PrivateKey
	kid    string
	signer jose.Signer
}

// Open loads the key from cfg.Dir, or generates and stores one, and (re)writes the JWKS file.
func Open(cfg Config) (*Issuer, error) {
	if cfg.Dir == "" {
		return nil, errors.New("devissuer: no directory")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("devissuer: %w", err)
	}
	key, err := loadOrCreateKey(filepath.Join(cfg.Dir, KeyFile))
	if err != nil {
		return nil, err
	}
	pub := jose.JSONWebKey{Key: key.Public(), Algorithm: string(jose.EdDSA), Use: "sig"}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("devissuer: key thumbprint: %w", err)
	}
	// The RFC 7638 thumbprint as kid: stable for a key, different for a new one.
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("devissuer: signer: %w", err)
	}
	iss := &Issuer{cfg: cfg, key: key, kid: kid, signer: signer}
	b, err := json.MarshalIndent(iss.JWKS(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("devissuer: encoding JWKS: %w", err)
	}
	if err := writeAtomic(iss.JWKSPath(), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return iss, nil
}

// JWKS is the public key set that verifies this issuer's tokens.
func (i *Issuer) JWKS() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: i.key.Public(), KeyID: i.kid, Algorithm: string(jose.EdDSA), Use: "sig",
	}}}
}

// JWKSPath is the JWKS file that services load (auth.LoadJWKS).
func (i *Issuer) JWKSPath() string { return filepath.Join(i.cfg.Dir, JWKSFile) }

// Issuer is the "iss" the tokens carry.
func (i *Issuer) Issuer() string { return i.cfg.Issuer }

// Audience is the "aud" the tokens carry.
func (i *Issuer) Audience() string { return i.cfg.Audience }

// VerifierConfig is what a service needs to accept this issuer's tokens, on the same clock.
func (i *Issuer) VerifierConfig() auth.VerifierConfig {
	return auth.VerifierConfig{Issuer: i.cfg.Issuer, Audience: i.cfg.Audience, Keys: i.JWKS(), Now: i.cfg.Now}
}

// Mint signs a token for subject acting as role for unit, valid for ttl from now. The subject is a
// pseudonymous id: never a person's name.
func (i *Issuer) Mint(subject string, role auth.Role, unit string, ttl time.Duration) (string, error) {
	switch {
	case subject == "":
		return "", errors.New("devissuer: empty subject")
	case !role.Valid():
		return "", fmt.Errorf("devissuer: unknown role %q", role)
	case unit == "":
		return "", errors.New("devissuer: empty unit")
	case ttl <= 0:
		return "", errors.New("devissuer: ttl must be positive")
	}
	now := i.cfg.Now()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", fmt.Errorf("devissuer: %w", err)
	}
	return jwt.Signed(i.signer).
		Claims(jwt.Claims{
			Issuer:    i.cfg.Issuer,
			Subject:   subject,
			Audience:  jwt.Audience{i.cfg.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			Expiry:    jwt.NewNumericDate(now.Add(ttl)),
			ID:        base64.RawURLEncoding.EncodeToString(jti),
		}).
		Claims(map[string]any{"role": string(role), "unit": unit}).
		Serialize()
}

// DemoUser is a demo identity of `make run`.
type DemoUser struct {
	// Subject is the pseudonymous user id.
	Subject string
	// Role is what the user does.
	Role auth.Role
	// Unit is the code of the unit the user acts for.
	Unit string
	// About says who this is, for the printed token list.
	About string
}

// DemoUsers has one user per role, in the demo city of Phan Rang–Tháp Chàm; the unit codes are those
// of the demo unit registry (services/intake/registry/phan-rang-thap-cham.yaml).
var DemoUsers = []DemoUser{
	{"demo-reception-officer", auth.RoleReceptionOfficer, "NT.PRTC.BTCD", "city citizen reception board"},
	{"demo-processing-officer", auth.RoleProcessingOfficer, "NT.PRTC.UBND", "city People's Committee, petition processing"},
	{"demo-handler", auth.RoleHandler, "NT.PRTC.KD.UBND", "Kinh Dinh ward People's Committee officer resolving cases"},
	{"demo-agency", auth.RoleAgency, "NT.PRTC.TNMT", "city natural resources and environment office"},
	{"demo-council-standing", auth.RoleCouncilStanding, "NT.PRTC.TTHDND", "city People's Council standing committee"},
	{"demo-council-deputy", auth.RoleCouncilDeputy, "NT.PRTC.HDND", "city People's Council deputy"},
	{"demo-inspector", auth.RoleInspector, "NT.PRTC.TTR", "city inspectorate"},
	{"demo-auditor", auth.RoleAuditor, "NT.PRTC", "auditor (read-only)"},
	{"demo-admin", auth.RoleAdmin, "NT.PRTC", "deployment administrator"},
}

// DemoToken is a minted token of a demo user.
type DemoToken struct {
	DemoUser
	// Token is the signed JWT, for `authorization: Bearer <Token>`.
	Token string
	// ExpiresAt is when the token stops being accepted.
	ExpiresAt time.Time
}

// MintDemo mints a token for each of DemoUsers, valid for ttl.
func (i *Issuer) MintDemo(ttl time.Duration) ([]DemoToken, error) {
	out := make([]DemoToken, 0, len(DemoUsers))
	exp := i.cfg.Now().Add(ttl)
	for _, u := range DemoUsers {
		tok, err := i.Mint(u.Subject, u.Role, u.Unit, ttl)
		if err != nil {
			return nil, err
		}
		out = append(out, DemoToken{DemoUser: u, Token: tok, ExpiresAt: exp})
	}
	return out, nil
}

// loadOrCreateKey reads the key, or creates it so that of two processes starting at once exactly
// one key wins and both use it: the new key is written to a temporary file and hard-linked into
// place, which fails if the file already exists.
func loadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	if key, err := readKey(path); !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("devissuer: generating key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("devissuer: encoding key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return nil, fmt.Errorf("devissuer: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("devissuer: writing key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("devissuer: writing key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKey(path)
		}
		return nil, fmt.Errorf("devissuer: storing key: %w", err)
	}
	return key, nil
}

func readKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("devissuer: %s is not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("devissuer: parsing %s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("devissuer: %s holds a %T, want an Ed25519 key", path, k)
	}
	return key, nil
}

func writeAtomic(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jwks-*")
	if err != nil {
		return fmt.Errorf("devissuer: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("devissuer: writing %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("devissuer: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("devissuer: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("devissuer: %w", err)
	}
	return nil
}
