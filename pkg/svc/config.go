package svc

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"strings"

	"github.com/caarlos0/env/v11"
)

// Config is a standalone service's configuration, read from the environment. Every setting has a
// documented default except where production must decide (the JWKS file).
type Config struct {
	// Tenant is the city or province deployment whose log the service works on.
	Tenant string `env:"CIVICASE_TENANT" envDefault:"prtc"`
	// GRPCAddr is where the service listens.
	GRPCAddr string `env:"CIVICASE_GRPC_ADDR"`
	// NATSURL is the JetStream server (a cluster URL list is comma-separated).
	NATSURL string `env:"CIVICASE_NATS_URL" envDefault:"nats://127.0.0.1:4222"`
	// StreamReplicas is 1 on a single node (the server must run with sync_interval: always), 3 on a cluster.
	StreamReplicas int `env:"CIVICASE_STREAM_REPLICAS" envDefault:"1"`
	// DatabaseURL is the PostgreSQL database; the service works in its own schema.
	DatabaseURL string `env:"CIVICASE_DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/civicase?sslmode=disable"`
	// JWKSFile holds the token issuer's public keys.
	JWKSFile string `env:"CIVICASE_JWKS_FILE"`
	// JWTIssuer must match the tokens' "iss".
	JWTIssuer string `env:"CIVICASE_JWT_ISSUER" envDefault:"https://dev-issuer.civicase.invalid"`
	// JWTAudience must be among the tokens' "aud".
	JWTAudience string `env:"CIVICASE_JWT_AUDIENCE" envDefault:"civicase"`
	// SealKeyDir holds the key-encryption keys for personal data (file provider).
	SealKeyDir string `env:"CIVICASE_SEAL_KEY_DIR" envDefault:"/var/lib/civicase/seal"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"CIVICASE_LOG_LEVEL" envDefault:"info"`
	// OTLPEndpoint receives traces (host:port of an OTLP/gRPC collector); empty disables export.
	OTLPEndpoint string `env:"CIVICASE_OTLP_ENDPOINT"`
}

// ConfigError names the setting that is wrong.
type ConfigError struct {
	Setting string
	Value   string
	Problem string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid setting %s=%q: %s", e.Setting, e.Value, e.Problem)
}

// LoadConfig reads the environment, applies defaults (defaultAddr for the listen address) and validates.
func LoadConfig(defaultAddr string) (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		return c, settingError(err)
	}
	if c.GRPCAddr == "" {
		c.GRPCAddr = defaultAddr
	}
	return c, c.Validate()
}

// settingError rewrites the env library's parse error, which names a Go field, to name the
// environment variable an operator sets.
func settingError(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) || len(agg.Errors) == 0 {
		return err
	}
	var pe env.ParseError
	if errors.As(agg.Errors[0], &pe) {
		if f, ok := reflect.TypeFor[Config]().FieldByName(pe.Name); ok {
			return &ConfigError{Setting: f.Tag.Get("env"), Value: os.Getenv(f.Tag.Get("env")), Problem: "must be a " + pe.Type.String()}
		}
	}
	return agg.Errors[0]
}

// Validate checks every setting and names the first bad one.
func (c Config) Validate() error {
	bad := func(setting, value, problem string) error {
		return &ConfigError{Setting: setting, Value: value, Problem: problem}
	}
	if c.Tenant == "" || strings.ContainsAny(c.Tenant, ". *>") {
		return bad("CIVICASE_TENANT", c.Tenant, "must be a non-empty token without dots, spaces, '*' or '>'")
	}
	if _, port, ok := strings.Cut(c.GRPCAddr, ":"); !ok || port == "" {
		return bad("CIVICASE_GRPC_ADDR", c.GRPCAddr, "must be host:port")
	}
	for _, u := range strings.Split(c.NATSURL, ",") {
		if p, err := url.Parse(strings.TrimSpace(u)); err != nil || (p.Scheme != "nats" && p.Scheme != "tls") || p.Host == "" {
			return bad("CIVICASE_NATS_URL", c.NATSURL, "must be nats://host:port (comma-separated for a cluster)")
		}
	}
	if c.StreamReplicas != 1 && c.StreamReplicas != 3 && c.StreamReplicas != 5 {
		return bad("CIVICASE_STREAM_REPLICAS", fmt.Sprint(c.StreamReplicas), "must be 1, 3 or 5")
	}
	if p, err := url.Parse(c.DatabaseURL); err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") {
		return bad("CIVICASE_DATABASE_URL", c.DatabaseURL, "must be a postgres:// URL")
	}
	if c.JWKSFile == "" {
		return bad("CIVICASE_JWKS_FILE", c.JWKSFile, "is required: the public keys of the token issuer")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return bad("CIVICASE_LOG_LEVEL", c.LogLevel, "must be debug, info, warn or error")
	}
	return nil
}
