// Command intake runs the intake service on its own, configured from the environment (see pkg/svc).
package main

import (
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/services/intake"
)

func main() {
	svc.Main("intake", "127.0.0.1:7101", intake.New)
}
