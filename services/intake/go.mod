module github.com/civicase/civicase/services/intake

go 1.26
