// Command reporting runs the reporting service on its own, configured from CIVICASE_* variables.
package main

import (
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/services/reporting"
)

func main() { svc.Main("reporting", "127.0.0.1:7104", reporting.New) }
