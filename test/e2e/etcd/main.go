// Command etcd is etcd's server, built from the version the end-to-end
// suite pins (kubernetes v1.34.4 pins etcd v3.6.4): the suite's key-value
// store, started and stopped by test/e2e's harness.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
