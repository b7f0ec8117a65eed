package auth

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/civicase/civicase/pkg/apperr"
)

// SignatureAlgorithms are the JWS algorithms a token may be signed with; anything else (notably
// "none" and HMAC, which would let a holder of the public key forge tokens) is rejected at parse.
var SignatureAlgorithms = []jose.SignatureAlgorithm{jose.EdDSA, jose.RS256, jose.ES256}

// Unauthenticated reasons, sent to clients in google.rpc.ErrorInfo.
const (
	ReasonTokenMissing      = "TOKEN_MISSING"
	ReasonTokenMalformed    = "TOKEN_MALFORMED"
	ReasonTokenKeyUnknown   = "TOKEN_KEY_UNKNOWN"
	ReasonTokenSignature    = "TOKEN_SIGNATURE_INVALID"
	ReasonTokenExpired      = "TOKEN_EXPIRED"
	ReasonTokenNotYetValid  = "TOKEN_NOT_YET_VALID"
	ReasonTokenIssuer       = "TOKEN_ISSUER_INVALID"
	ReasonTokenAudience     = "TOKEN_AUDIENCE_INVALID"
	ReasonTokenClaims       = "TOKEN_CLAIMS_INVALID"
	ReasonTokenRoleUnknown  = "TOKEN_ROLE_UNKNOWN"
	ReasonTokenUnitRequired = "TOKEN_UNIT_MISSING"
)

// VerifierConfig says which tokens to trust.
type VerifierConfig struct {
	// Issuer must equal the token's "iss".
	Issuer string
	// Audience must be among the token's "aud".
	Audience string
	// Keys are the issuer's public keys; a token names its key by "kid".
	Keys jose.JSONWebKeySet
	// Now is the clock that expiry is checked against; nil means time.Now.
	Now func() time.Time
	// Leeway tolerates clock skew between issuer and verifier on exp, nbf and iat.
	Leeway time.Duration
}

// Verifier checks bearer tokens and turns them into Actors.
type Verifier struct {
	cfg VerifierConfig

	mu    sync.Mutex
	cache map[[sha256.Size]byte]verifiedToken
}

// NewVerifier checks the configuration: an issuer, an audience and at least one public signing key.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("auth: verifier needs an issuer and an audience")
	}
	if len(cfg.Keys.Keys) == 0 {
		return nil, errors.New("auth: verifier needs at least one key")
	}
	for i, k := range cfg.Keys.Keys {
		if !k.IsPublic() {
			return nil, fmt.Errorf("auth: key %d (kid %q) is private: a verifier holds public keys only", i, k.KeyID)
		}
		if k.KeyID == "" {
			return nil, fmt.Errorf("auth: key %d has no kid", i)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{cfg: cfg, cache: map[[sha256.Size]byte]verifiedToken{}}, nil
}

// LoadJWKS reads a JSON Web Key Set file (RFC 7517), as published by an OIDC provider at its
// jwks_uri or written by the development issuer.
func LoadJWKS(path string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	b, err := os.ReadFile(path)
	if err != nil {
		return set, fmt.Errorf("auth: reading JWKS: %w", err)
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return set, fmt.Errorf("auth: parsing JWKS %s: %w", path, err)
	}
	return set, nil
}

// customClaims are civicase's private claims.
type customClaims struct {
	Role string `json:"role"`
	Unit string `json:"unit"`
}

// Verify checks the token's signature, issuer, audience and validity period, and returns its actor.
// Every failure is an Unauthenticated apperr.Error whose reason says which check failed.
//
// A client sends the same token with every call until it expires, and checking a signature costs
// about as much CPU as a whole command, so a verified token is remembered (by its SHA-256) with its
// actor and validity window; a remembered token is still refused the moment it expires.
func (v *Verifier) Verify(token string) (Actor, error) {
	key := sha256.Sum256([]byte(token))
	now := v.cfg.Now()
	v.mu.Lock()
	e, ok := v.cache[key]
	v.mu.Unlock()
	if ok && !now.Before(e.notBefore) && now.Before(e.expiry) {
		return e.actor, nil
	}
	a, window, err := v.verify(token)
	if err != nil {
		return Actor{}, err
	}
	v.mu.Lock()
	if len(v.cache) >= verifiedCacheSize {
		clear(v.cache) // simple and bounded: the hot tokens come back on their next call
	}
	v.cache[key] = verifiedToken{actor: a, notBefore: window.from, expiry: window.to}
	v.mu.Unlock()
	return a, nil
}

// verifiedCacheSize bounds the remembered tokens: one per active user is plenty.
const verifiedCacheSize = 10000

type verifiedToken struct {
	actor             Actor
	notBefore, expiry time.Time
}

type validity struct{ from, to time.Time }

func (v *Verifier) verify(token string) (Actor, validity, error) {
	tok, err := jwt.ParseSigned(token, SignatureAlgorithms)
	if err != nil {
		return Actor{}, validity{}, unauthenticated(ReasonTokenMalformed, "bearer token is not a signed JWT", err)
	}
	if len(tok.Headers) != 1 {
		return Actor{}, validity{}, unauthenticated(ReasonTokenMalformed, "bearer token must have exactly one signature", nil)
	}
	h := tok.Headers[0]
	keys := v.keysFor(h)
	if len(keys) == 0 {
		return Actor{}, validity{}, unauthenticated(ReasonTokenKeyUnknown, "bearer token is signed with an unknown key", nil)
	}
	var (
		std    jwt.Claims
		custom customClaims
		sigErr error
	)
	verified := false
	for _, k := range keys {
		if sigErr = tok.Claims(k.Key, &std, &custom); sigErr == nil {
			verified = true
			break
		}
	}
	if !verified {
		return Actor{}, validity{}, unauthenticated(ReasonTokenSignature, "bearer token signature is invalid", sigErr)
	}
	if std.Expiry == nil {
		// go-jose accepts a token without exp; a bearer token that never expires is not acceptable.
		return Actor{}, validity{}, unauthenticated(ReasonTokenClaims, "bearer token has no expiry", nil)
	}
	err = std.ValidateWithLeeway(jwt.Expected{
		Issuer:      v.cfg.Issuer,
		AnyAudience: jwt.Audience{v.cfg.Audience},
		Time:        v.cfg.Now(),
	}, v.cfg.Leeway)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrExpired):
		return Actor{}, validity{}, unauthenticated(ReasonTokenExpired, "bearer token has expired", nil)
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return Actor{}, validity{}, unauthenticated(ReasonTokenNotYetValid, "bearer token is not valid yet", nil)
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return Actor{}, validity{}, unauthenticated(ReasonTokenIssuer, "bearer token is from another issuer", nil)
	case errors.Is(err, jwt.ErrInvalidAudience):
		return Actor{}, validity{}, unauthenticated(ReasonTokenAudience, "bearer token is for another audience", nil)
	default:
		return Actor{}, validity{}, unauthenticated(ReasonTokenClaims, "bearer token claims are invalid", err)
	}
	a := Actor{Subject: std.Subject, Role: Role(custom.Role), Unit: custom.Unit}
	switch {
	case a.Subject == "":
		return Actor{}, validity{}, unauthenticated(ReasonTokenClaims, "bearer token has no subject", nil)
	case !a.Role.Valid():
		return Actor{}, validity{}, unauthenticated(ReasonTokenRoleUnknown, "bearer token has no known role", nil)
	case a.Unit == "":
		return Actor{}, validity{}, unauthenticated(ReasonTokenUnitRequired, "bearer token has no unit", nil)
	}
	w := validity{from: time.Time{}, to: std.Expiry.Time().Add(v.cfg.Leeway)}
	if std.NotBefore != nil {
		w.from = std.NotBefore.Time().Add(-v.cfg.Leeway)
	}
	return a, w, nil
}

// keysFor picks the verification keys a token's header names: by kid, and only keys meant for
// signatures whose declared algorithm (if any) is the token's, so that a key cannot be used with
// an algorithm its owner did not intend.
func (v *Verifier) keysFor(h jose.Header) []jose.JSONWebKey {
	if h.KeyID == "" {
		return nil
	}
	var out []jose.JSONWebKey
	for _, k := range v.cfg.Keys.Key(h.KeyID) {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != h.Algorithm {
			continue
		}
		out = append(out, k)
	}
	return out
}

func unauthenticated(reason, msg string, cause error) error {
	e := apperr.Unauthenticated(reason, "%s", msg)
	if cause != nil {
		e = e.WithCause(cause)
	}
	return e
}
