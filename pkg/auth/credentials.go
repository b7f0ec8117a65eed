package auth

import "context"

// TokenCredentials attach a bearer token to every RPC of a client connection
// (grpc.WithPerRPCCredentials).
type TokenCredentials struct {
	// Source returns the token to send; it is called per RPC, so a refreshed token is picked up.
	Source func(ctx context.Context) (string, error)
	// AllowInsecure lets the token travel without TLS. A bearer token is as good as a password:
	// only for loopback development and tests.
	AllowInsecure bool
}

// StaticToken sends the same token on every RPC; allowInsecure as in TokenCredentials.
func StaticToken(token string, allowInsecure bool) TokenCredentials {
	return TokenCredentials{
		Source:        func(context.Context) (string, error) { return token, nil },
		AllowInsecure: allowInsecure,
	}
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (c TokenCredentials) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	token, err := c.Source(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]string{"authorization": "Bearer " + token}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (c TokenCredentials) RequireTransportSecurity() bool { return !c.AllowInsecure }
