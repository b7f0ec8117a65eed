package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/auth/devissuer"
	"github.com/civicase/civicase/pkg/seal"
)

// keysCmd prepares a key directory for a deployment without a real issuer and KMS (the compose
// file's one-shot `keys` service): <dir>/auth holds the development issuer's key and JWKS,
// <dir>/seal the key-encryption keys for personal data.
func keysCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "create (or keep) the development token issuer key, its JWKS and the personal-data key directory",
		RunE: func(cmd *cobra.Command, args []string) error {
			iss, err := devissuer.Open(devissuer.Config{Dir: filepath.Join(dir, "auth")})
			if err != nil {
				return err
			}
			kp, err := seal.NewFileKeyProvider(filepath.Join(dir, "seal"))
			if err != nil {
				return err
			}
			if _, err := kp.CurrentKeyID(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "JWKS:", iss.JWKSPath())
			fmt.Fprintln(cmd.OutOrStdout(), "personal-data keys:", filepath.Join(dir, "seal"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", filepath.Join("var", "dev"), "key directory")
	return cmd
}

// tokenCmd mints development tokens: one for a given identity, or one per demo user.
func tokenCmd() *cobra.Command {
	var dir, subject, role, unit string
	var demo bool
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "token",
		Short: "mint a development bearer token (the dev stack's issuer)",
		RunE: func(cmd *cobra.Command, args []string) error {
			iss, err := devissuer.Open(devissuer.Config{Dir: filepath.Join(dir, "auth")})
			if err != nil {
				return err
			}
			if demo {
				toks, err := iss.MintDemo(ttl)
				if err != nil {
					return err
				}
				for _, t := range toks {
					fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\t%s\n", t.Role, t.Unit, t.Token)
				}
				return nil
			}
			r := auth.Role(role)
			if !r.Valid() {
				return fmt.Errorf("--role %q: must be one of %v", role, auth.Roles())
			}
			tok, err := iss.Mint(subject, r, unit, ttl)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", filepath.Join("var", "dev"), "the dev stack's directory (its auth/ holds the issuer key)")
	cmd.Flags().StringVar(&subject, "subject", "cli-user", "pseudonymous user id")
	cmd.Flags().StringVar(&role, "role", string(auth.RoleReceptionOfficer), "role")
	cmd.Flags().StringVar(&unit, "unit", "NT.PRTC.BTCD", "unit code the user acts for")
	cmd.Flags().BoolVar(&demo, "demo", false, "print a token for every demo user")
	cmd.Flags().DurationVar(&ttl, "ttl", 24*time.Hour, "validity")
	return cmd
}
