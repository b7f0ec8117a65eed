module github.com/civicase/civicase/services/supervision

go 1.26
