// Package safefile reads and writes the files irsa-probe is pointed at by
// its environment (the token files, the termination log, the kube-api
// namespace file) as hostile input: opened without blocking, so a FIFO or
// a device cannot hang the process; refused unless regular, so nothing but
// what kubelet writes is read; and capped, so a huge file or /dev/zero
// cannot grow the process.
package safefile
