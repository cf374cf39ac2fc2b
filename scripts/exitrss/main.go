//go:build linux

// Command exitrss runs a command and reports what its resident memory is
// made of just before it exits: /proc/PID/smaps_rollup read while the
// process is stopped at exit (ptrace, PTRACE_O_TRACEEXIT), so a process
// that lives for a few milliseconds can be inspected. It prints, in KiB:
//
//	hwm=<VmHWM> rss=<Rss> anon=<Anonymous> file=<Rss-Anonymous> filepmd=<FilePmdMapped>
//
// on standard error, after the command's own output. Linux only; used by
// scripts/bench-cli.sh.
//
//	go run ./scripts/exitrss aiden version
//
// With -sections first, it also prints, one line each, how much of each
// loaded section of the executable (.text, .rodata, .gopclntab, .data,
// .bss...) is resident at exit, from /proc/PID/pagemap: which of the
// binary's pages start-up brought in.
//
//	go run ./scripts/exitrss -sections aiden version
package main

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// sections asks for the per-section residency of the executable.
var sections bool

const (
	ptraceOTraceExec = 0x10 // PTRACE_O_TRACEEXEC: a later exec stops as an event, not a SIGTRAP
	ptraceOTraceExit = 0x40 // PTRACE_O_TRACEEXIT
	ptraceEventExit  = 6    // PTRACE_EVENT_EXIT
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: exitrss COMMAND [ARG...]")
		os.Exit(2)
	}
	args := os.Args[1:]
	if args[0] == "-sections" {
		sections, args = true, args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: exitrss [-sections] COMMAND [ARG...]")
		os.Exit(2)
	}
	code, err := run(args[0], args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "exitrss:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func run(name string, args []string) (int, error) {
	// ptrace requests must come from the thread that started the tracee.
	runtime.LockOSThread()
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", name, err)
	}
	pid := cmd.Process.Pid
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil { // the stop at exec
		return 0, fmt.Errorf("wait for %s: %w", name, err)
	}
	if err := syscall.PtraceSetOptions(pid, ptraceOTraceExec|ptraceOTraceExit); err != nil {
		return 0, fmt.Errorf("ptrace %s: %w", name, err)
	}
	sig := 0
	report := ""
	for {
		if err := syscall.PtraceCont(pid, sig); err != nil {
			return 0, fmt.Errorf("ptrace %s: %w", name, err)
		}
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
			return 0, fmt.Errorf("wait for %s: %w", name, err)
		}
		switch {
		case ws.Exited():
			fmt.Fprintln(os.Stderr, report)
			return ws.ExitStatus(), nil
		case ws.Signaled():
			fmt.Fprintln(os.Stderr, report)
			return 128 + int(ws.Signal()), nil
		case ws.Stopped() && ws.StopSignal() == syscall.SIGTRAP && ws.TrapCause() == ptraceEventExit:
			r, err := readMemory(pid)
			if err != nil {
				return 0, err
			}
			if sections {
				s, err := residentSections(pid)
				if err != nil {
					return 0, err
				}
				r = s + r
			}
			report, sig = r, 0
		case ws.Stopped() && ws.StopSignal() == syscall.SIGTRAP && ws.TrapCause() > 0:
			sig = 0 // another event (exec)
		case ws.Stopped():
			sig = int(ws.StopSignal()) // pass the signal on
		}
	}
}

// readMemory reads the figures of a process stopped at exit.
func readMemory(pid int) (string, error) {
	fields := map[string]int64{}
	for _, f := range []string{"smaps_rollup", "status"} {
		file, err := os.Open(fmt.Sprintf("/proc/%d/%s", pid, f))
		if err != nil {
			return "", fmt.Errorf("read memory: %w", err)
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if !ok {
				continue
			}
			parts := strings.Fields(v)
			if len(parts) == 2 && parts[1] == "kB" {
				n, err := strconv.ParseInt(parts[0], 10, 64)
				if err == nil {
					fields[k] = n
				}
			}
		}
		file.Close()
	}
	return fmt.Sprintf("hwm=%d rss=%d anon=%d file=%d filepmd=%d", fields["VmHWM"], fields["Rss"], fields["Anonymous"],
		fields["Rss"]-fields["Anonymous"], fields["FilePmdMapped"]), nil
}

// residentSections reports, for each section of the executable that is
// loaded at a fixed address, its size and how much of it is resident, in
// KiB, from the page table (/proc/PID/pagemap, bit 63: present).
func residentSections(pid int) (string, error) {
	exe, err := elf.Open(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return "", fmt.Errorf("read executable: %w", err)
	}
	defer exe.Close()
	pm, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		return "", fmt.Errorf("read page map: %w", err)
	}
	defer pm.Close()
	page := uint64(os.Getpagesize())
	var b strings.Builder
	var total, resident uint64
	for _, s := range exe.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Addr == 0 || s.Size == 0 {
			continue
		}
		first, last := s.Addr/page, (s.Addr+s.Size-1)/page
		buf := make([]byte, 8*(last-first+1))
		if _, err := pm.ReadAt(buf, int64(first*8)); err != nil {
			return "", fmt.Errorf("read page map of %s: %w", s.Name, err)
		}
		var n uint64
		for i := 0; i < len(buf); i += 8 {
			if binary.LittleEndian.Uint64(buf[i:])&(1<<63) != 0 {
				n++
			}
		}
		total += s.Size
		resident += n * page
		fmt.Fprintf(&b, "section %-18s size=%d resident=%d\n", s.Name, s.Size/1024, n*page/1024)
	}
	fmt.Fprintf(&b, "sections total size=%d resident=%d\n", total/1024, resident/1024)
	return b.String(), nil
}
