package seal_test

import (
	"testing"

	"github.com/civicase/civicase/pkg/seal"
	"github.com/civicase/civicase/pkg/seal/sealtest"
)

func TestMemoryKeyStoreContract(t *testing.T) {
	sealtest.TestKeyStore(t, func(*testing.T) seal.KeyStore { return seal.NewMemoryKeyStore() })
}
