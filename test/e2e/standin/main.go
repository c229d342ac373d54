// Command standin stands in for the images the end-to-end suite cannot pull
// (there is no registry): `standin pause` is the pod sandbox's pause process,
// blocking until SIGTERM; `standin serve ADDR` answers every HTTP request
// with 200, in place of the examples' nginx application container;
// `standin sts-loop INTERVAL` is an application calling GetCallerIdentity
// every INTERVAL through aws-sdk-go-v2's default credential chain (see
// stsloop.go).
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: standin pause | standin serve ADDR | standin sts-loop INTERVAL")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "pause":
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		<-sigs
	case "serve":
		addr := ":80"
		if len(os.Args) > 2 {
			addr = os.Args[2]
		}
		srv := &http.Server{
			Addr:              addr,
			ReadHeaderTimeout: 5 * time.Second,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = fmt.Fprintln(w, "ok")
			}),
		}
		fmt.Fprintln(os.Stderr, "standin: serving on", addr)
		if err := srv.ListenAndServe(); err != nil {
			fmt.Fprintln(os.Stderr, "standin:", err)
			os.Exit(1)
		}
	case "sts-loop":
		every := 30 * time.Second
		if len(os.Args) > 2 {
			d, err := time.ParseDuration(os.Args[2])
			if err != nil {
				fmt.Fprintln(os.Stderr, "standin:", err)
				os.Exit(2)
			}
			every = d
		}
		stsLoop(every)
	default:
		fmt.Fprintln(os.Stderr, "standin: unknown mode", os.Args[1])
		os.Exit(2)
	}
}
