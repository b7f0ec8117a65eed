module github.com/civicase/civicase/services/routing

go 1.26
