// Command runstat runs a command and reports, on standard error after the
// command's own output, its wall time, its CPU time (user and system,
// children included) and its peak resident memory:
//
//	wall=<seconds> cpu=<seconds> rss=<KiB>
//
// with microsecond precision, where GNU time prints hundredths of a
// second: the figures of a command that runs for about 0.1 s differ by
// less than GNU time's step. It exits with the command's exit code. Used
// by scripts/bench-cli.sh.
//
//	go run ./scripts/runstat aiden version
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: runstat COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "runstat:", err)
		os.Exit(2)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "runstat: no resource usage on this system")
		os.Exit(2)
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	// Linux reports ru_maxrss in KiB.
	fmt.Fprintf(os.Stderr, "wall=%.6f cpu=%.6f rss=%d\n", wall.Seconds(), cpu.Seconds(), ru.Maxrss)
	os.Exit(cmd.ProcessState.ExitCode())
}
