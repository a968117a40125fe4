// Command vcsim serves govmomi's vCenter simulator (the VPX model) over HTTPS, with what the simulator lacks for
// replication tests: QueryChangedDiskAreas over a per-disk change journal, change ids stamped on the disk backings
// of each snapshot, disks with real content, and a control API (/control/...). It prints the SDK URL on its first
// line, then "key value" lines (thumbprints, CA file, control URL) and "ready".
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/simulator"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address of the HTTPS endpoint")
	dir := flag.String("dir", "", "working directory for datastores and the certificate (default: a new temporary directory)")
	vms := flag.Int("vms", 2, "VMs per host and per cluster pool (the VPX model has one standalone host and one cluster: 2 gives 4 VMs)")
	diskSizes := flag.String("disk-sizes", "8MiB,4MiB", "capacity of each VM's disks, comma-separated (one disk per entry)")
	block := flag.String("cbt-block", "64KiB", "granularity of the change journal")
	maxAreas := flag.Int("max-areas", 16, "most changed areas one QueryChangedDiskAreas answer returns (real vCenter also bounds it)")
	username := flag.String("username", "user", "the only user name Login accepts")
	password := flag.String("password", "pass", "its password")
	exitOnEOF := flag.Bool("exit-on-stdin-eof", false, "exit when standard input closes (a test harness that dies takes the simulator with it)")
	flag.Parse()

	log.SetOutput(os.Stderr)
	sizes, err := parseSizes(*diskSizes)
	if err != nil {
		log.Fatalf("-disk-sizes: %v", err)
	}
	blockBytes, err := parseSize(*block)
	if err != nil || blockBytes < 512 {
		log.Fatalf("-cbt-block: must be a size of at least 512B")
	}

	workDir := *dir
	if workDir == "" {
		if workDir, err = os.MkdirTemp("", "vcsim-"); err != nil {
			log.Fatal(err)
		}
	}
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		log.Fatal(err)
	}
	// The model creates its datastore folders with os.MkdirTemp("").
	_ = os.Setenv("TMPDIR", workDir)

	model := simulator.VPX()
	model.Machine = *vms
	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(*username, *password)}
	inner := model.Service.NewServer()

	st := newState(blockBytes, *maxAreas)
	if err := buildInventory(context.Background(), model, st, sizes); err != nil {
		log.Fatalf("inventory: %v", err)
	}

	certFile := filepath.Join(workDir, "vcsim-cert.pem")
	cert, thumbprints, err := selfSignedCertificate(certFile)
	if err != nil {
		log.Fatal(err)
	}

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	front := &http.Server{Handler: st.handler(inner.Config.Handler), TLSConfig: tlsConfig(cert)}
	go func() {
		if err := front.ServeTLS(listener, "", ""); err != nil && err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()

	base := "https://" + listener.Addr().String()
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "%s/sdk\n", base)
	fmt.Fprintf(out, "thumbprint-sha256 %s\n", thumbprints.sha256)
	fmt.Fprintf(out, "thumbprint-sha1 %s\n", thumbprints.sha1)
	fmt.Fprintf(out, "ca-file %s\n", certFile)
	fmt.Fprintf(out, "control %s/control\n", base)
	fmt.Fprintf(out, "username %s\n", *username)
	fmt.Fprintf(out, "vms %s\n", strings.Join(st.vmNames(), ","))
	fmt.Fprintf(out, "datastores %s\n", strings.Join(datastoreFolders(), ","))
	fmt.Fprintln(out, "ready")
	_ = out.Flush()

	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	if *exitOnEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop <- syscall.SIGTERM
		}()
	}
	<-stop
	_ = front.Close()
	inner.Close()
	model.Remove()
	if *dir == "" {
		_ = os.RemoveAll(workDir)
	}
}
