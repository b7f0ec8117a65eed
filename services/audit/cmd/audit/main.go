// Command audit runs the audit service on its own, configured from the environment (svc.Config
// and audit.Options).
package main

import (
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/services/audit"
)

func main() { svc.Main("audit", "127.0.0.1:7105", audit.New) }
