// Command oldgoapp is an application built against aws-sdk-go v1.23.0, a
// real release older than v1.23.13, the first to support IRSA: the tests
// build it from the module proxy and read its build info from /proc.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go/aws"
)

func main() {
	fmt.Println(aws.SDKVersion)
	if len(os.Args) > 1 && os.Args[1] == "sleep" {
		time.Sleep(10 * time.Minute)
	}
}
