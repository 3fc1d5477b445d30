// Command unixconnect connects to a unix socket and exits 0 when it could,
// 13 when permission was denied, 1 otherwise. The end-to-end tests build it
// statically and run it inside containers, whose busybox has no unix socket
// client.
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: unixconnect SOCKET")
		os.Exit(2)
	}
	conn, err := net.Dial("unix", os.Args[1])
	if errors.Is(err, syscall.EACCES) {
		fmt.Println("permission denied")
		os.Exit(13)
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	conn.Close()
	fmt.Println("connected")
}
