module github.com/civicase/civicase/services/reporting

go 1.26
