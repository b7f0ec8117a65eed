module github.com/civicase/civicase/cmd

go 1.26.0

require (
	github.com/civicase/civicase/pkg v0.0.0
	github.com/civicase/civicase/proto v0.0.0
)

require (
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/schollz/progressbar/v3 v3.19.1 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/term v0.44.0 // indirect
)

require (
	github.com/civicase/civicase/services/intake v0.0.0
	github.com/civicase/civicase/services/routing v0.0.0
	github.com/compose-spec/compose-go/v2 v2.16.2 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/cobra v1.10.2 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
)

replace github.com/civicase/civicase/pkg => ../pkg

replace github.com/civicase/civicase/proto => ../proto

replace github.com/civicase/civicase/services/intake => ../services/intake

replace github.com/civicase/civicase/services/routing => ../services/routing
