// Command supervision runs the supervision service on its own, configured from the environment
// (see pkg/svc.Config).
package main

import (
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/services/supervision"
)

func main() { svc.Main("supervision", "127.0.0.1:7103", supervision.New) }
