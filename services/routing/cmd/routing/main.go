// Command routing runs the routing service on its own, configured from the environment (see
// pkg/svc.Config).
package main

import (
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/services/routing"
)

func main() { svc.Main("routing", "127.0.0.1:7102", routing.New) }
