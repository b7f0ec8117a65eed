module github.com/civicase/civicase/cmd

go 1.26
