module github.com/civicase/civicase/cmd

go 1.26.0

require (
	github.com/civicase/civicase/pkg v0.0.0
	github.com/civicase/civicase/proto v0.0.0
)

require (
	github.com/compose-spec/compose-go/v2 v2.16.2 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/cobra v1.10.2 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
)

replace github.com/civicase/civicase/pkg => ../pkg

replace github.com/civicase/civicase/proto => ../proto
