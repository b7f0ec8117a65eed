module github.com/civicase/civicase/services/audit

go 1.26
