// kubelet-front: the local test cluster's stand-in for the part of a kubelet kwok does not play,
// running an ephemeral container's process when a client attaches to it.
//
// It listens where the API server dials the fake nodes' kubelets (the node's kubeletEndpoint
// port) and passes every request on to kwok's kubelet-like server unchanged (logs, exec,
// port-forward, attach to ordinary containers), except an attach to an ephemeral container: that
// one it serves itself, with the kubelet's own streaming server code
// (k8s.io/kubelet/pkg/cri/streaming/remotecommand, the package kwok and the kubelet use), so the
// API server talks to it exactly as to a kubelet (SPDY or WebSocket, every protocol version).
//
// What runs is the ephemeral container's command and args as stored in the pod's spec, as a local
// process on this machine (like kwok's exec), in --work-dir, with ELIFE_K8S_FAKE_EXEC=true in its
// environment. As a container runtime does for a `stdin: true, stdinOnce: true` container, the
// attach's stdin is its stdin and is closed when the client closes it or goes away; its stdout
// and stderr go to the client. When the process exits, the container's status is set to
// terminated with its exit code (through pods/status, as the kubelet reports it), and the attach
// ends. kwok's Stage `pod-ephemeral-container-running` (kwok/stages.yaml) reports the container
// running once added; the process starts at the first attach (a real runtime starts it at once;
// sniff's script waits for a line on stdin before it captures anything, so that is the same to it).
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/types"
	remotecommandconsts "k8s.io/apimachinery/pkg/util/remotecommand"
	remotecommandclient "k8s.io/client-go/tools/remotecommand"
	remotecommandserver "k8s.io/kubelet/pkg/cri/streaming/remotecommand"
)

type front struct {
	api     *http.Client
	apiURL  string
	workDir string

	mu      sync.Mutex
	started map[string]bool // namespace/pod/container of every ephemeral container whose process has run
}

type container struct {
	Name    string   `json:"name"`
	Image   string   `json:"image"`
	Command []string `json:"command"`
	Args    []string `json:"args"`
}

type containerStatus map[string]any

type pod struct {
	Metadata struct {
		UID             string `json:"uid"`
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Spec struct {
		EphemeralContainers []container `json:"ephemeralContainers"`
	} `json:"spec"`
	Status struct {
		EphemeralContainerStatuses []containerStatus `json:"ephemeralContainerStatuses"`
	} `json:"status"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on (the nodes' kubelet port)")
	backend := flag.String("backend", "", "kwok's kubelet-like server, https://127.0.0.1:PORT")
	apiServer := flag.String("apiserver", "", "the API server, https://127.0.0.1:PORT")
	caFile := flag.String("ca", "", "CA of the API server, kwok's server and the API server's client certificate")
	certFile := flag.String("tls-cert", "", "serving certificate (for localhost)")
	keyFile := flag.String("tls-key", "", "serving key")
	clientCert := flag.String("client-cert", "", "client certificate for the API server")
	clientKey := flag.String("client-key", "", "client key for the API server")
	workDir := flag.String("work-dir", "", "working directory of the processes")
	flag.Parse()

	caPEM, err := os.ReadFile(*caFile)
	if err != nil {
		log.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		log.Fatalf("no certificate in %s", *caFile)
	}
	client, err := tls.LoadX509KeyPair(*clientCert, *clientKey)
	if err != nil {
		log.Fatal(err)
	}
	f := &front{
		api:     &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{client}}}},
		apiURL:  strings.TrimRight(*apiServer, "/"),
		workDir: *workDir,
		started: map[string]bool{},
	}

	target, err := url.Parse(*backend)
	if err != nil {
		log.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	// Streams (logs -f, exec, port-forward) must not be buffered; the transport speaks HTTP/1.1
	// only, so upgrades (SPDY, WebSocket) pass through.
	proxy.FlushInterval = -1
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}
	proxy.ErrorLog = log.Default()

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ns, name, uid, ctr, ok := attachPath(r.URL.Path); ok {
			if spec, p, err := f.ephemeral(ns, name, ctr); err == nil && spec != nil {
				f.serveAttach(w, r, ns, name, types.UID(uid), spec, p)
				return
			} else if err != nil {
				log.Printf("attach %s/%s/%s: reading the pod: %v (passing it on to kwok)", ns, name, ctr, err)
			}
		}
		proxy.ServeHTTP(w, r)
	})

	server := &http.Server{
		Addr:    *listen,
		Handler: handler,
		TLSConfig: &tls.Config{
			// Only the API server (its kubelet client certificate is signed by the cluster CA) may connect.
			ClientCAs:  pool,
			ClientAuth: tls.RequireAndVerifyClientCert,
		},
		// HTTP/1.1 only: upgrades hijack the connection, which HTTP/2 cannot.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	log.Printf("kubelet-front on %s, passing on to %s", *listen, *backend)
	log.Fatal(server.ListenAndServeTLS(*certFile, *keyFile))
}

// attachPath splits /attach/{namespace}/{pod}/{container} and /attach/{namespace}/{pod}/{uid}/{container}.
func attachPath(path string) (ns, name, uid, ctr string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/attach/"), "/")
	if !strings.HasPrefix(path, "/attach/") {
		return "", "", "", "", false
	}
	switch len(parts) {
	case 3:
		return parts[0], parts[1], "", parts[2], true
	case 4:
		return parts[0], parts[1], parts[2], parts[3], true
	}
	return "", "", "", "", false
}

func (f *front) getPod(ns, name string) (*pod, error) {
	res, err := f.api.Get(fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s", f.apiURL, url.PathEscape(ns), url.PathEscape(name)))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", res.StatusCode, bytes.TrimSpace(body))
	}
	p := &pod{}
	return p, json.Unmarshal(body, p)
}

// ephemeral returns the spec of ephemeral container ctr of the pod, or nil if it is not one.
func (f *front) ephemeral(ns, name, ctr string) (*container, *pod, error) {
	p, err := f.getPod(ns, name)
	if err != nil {
		return nil, nil, err
	}
	for i := range p.Spec.EphemeralContainers {
		if p.Spec.EphemeralContainers[i].Name == ctr {
			return &p.Spec.EphemeralContainers[i], p, nil
		}
	}
	return nil, nil, nil
}

func statusOf(p *pod, name string) containerStatus {
	for _, s := range p.Status.EphemeralContainerStatuses {
		if s["name"] == name {
			return s
		}
	}
	return nil
}

func (f *front) serveAttach(w http.ResponseWriter, r *http.Request, ns, name string, uid types.UID, spec *container, p *pod) {
	opts, err := remotecommandserver.NewOptions(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	attacher := attacherFunc(func(ctx context.Context, in io.Reader, out, errOut io.WriteCloser) error {
		return f.run(ctx, ns, name, spec, in, out, errOut)
	})
	remotecommandserver.ServeAttach(w, r, attacher, name+"/"+ns, uid, spec.Name, opts, 4*time.Hour, 30*time.Second, remotecommandconsts.SupportedStreamingProtocols)
}

type attacherFunc func(ctx context.Context, in io.Reader, out, errOut io.WriteCloser) error

func (a attacherFunc) AttachContainer(ctx context.Context, _ string, _ types.UID, _ string, in io.Reader, out, errOut io.WriteCloser, _ bool, _ <-chan remotecommandclient.TerminalSize) error {
	return a(ctx, in, out, errOut)
}

// run starts the container's process on the first attach and waits for it to exit.
func (f *front) run(ctx context.Context, ns, name string, spec *container, in io.Reader, out, errOut io.WriteCloser) error {
	key := ns + "/" + name + "/" + spec.Name
	p, err := f.getPod(ns, name)
	if err != nil {
		return err
	}
	state, _ := statusOf(p, spec.Name)["state"].(map[string]any)
	if _, running := state["running"]; !running {
		return fmt.Errorf("container %q is not running", spec.Name)
	}
	f.mu.Lock()
	if f.started[key] {
		f.mu.Unlock()
		// One process per container; a second attach would share it, which this stand-in does not do.
		return fmt.Errorf("container %q of pod %s was attached to already (the local cluster runs an ephemeral container's process for its first attach only)", spec.Name, ns+"/"+name)
	}
	f.started[key] = true
	f.mu.Unlock()

	argv := append(append([]string{}, spec.Command...), spec.Args...)
	if len(argv) == 0 {
		return fmt.Errorf("container %q has no command (the image's entrypoint cannot run here)", spec.Name)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = f.workDir
	cmd.Env = append(os.Environ(), "ELIFE_K8S_FAKE_EXEC=true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Background processes still holding its stdout do not keep the attach open once it exits.
	cmd.WaitDelay = time.Second
	if out != nil {
		cmd.Stdout = out
	}
	if errOut != nil {
		cmd.Stderr = errOut
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	startedAt := time.Now().UTC()
	if err := cmd.Start(); err != nil {
		f.terminate(ns, name, spec, startedAt, 128, "StartError", err.Error())
		return err
	}
	log.Printf("attach %s: started pid %d: %q", key, cmd.Process.Pid, argv)
	// stdinOnce: the container's stdin closes when the attached client closes its stdin or goes away.
	stdinClosed := make(chan struct{})
	go func() {
		if in != nil {
			_, _ = io.Copy(stdin, in)
		}
		_ = stdin.Close()
		close(stdinClosed)
	}()
	done := make(chan struct{})
	go func() {
		// A process that outlives its closed stdin by 30 s is killed, so nothing is left running.
		select {
		case <-done:
		case <-stdinClosed:
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				log.Printf("attach %s: still running 30s after its stdin closed: killing it", key)
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
		}
	}()
	waitErr := cmd.Wait()
	close(done)
	// As when a container's main process exits: whatever it left running in the background goes too.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	code := 0
	if exitErr, ok := waitErr.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
		if code < 0 {
			code = 128 + int(exitErr.Sys().(syscall.WaitStatus).Signal())
		}
	} else if waitErr != nil {
		code = 128
	}
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	log.Printf("attach %s: exited with code %d", key, code)
	f.terminate(ns, name, spec, startedAt, code, reason, "")
	return nil
}

// terminate reports the container terminated, as the kubelet does, keeping the other statuses.
func (f *front) terminate(ns, name string, spec *container, startedAt time.Time, code int, reason, message string) {
	for attempt := 0; attempt < 5; attempt++ {
		p, err := f.getPod(ns, name)
		if err != nil {
			log.Printf("terminate %s/%s/%s: %v", ns, name, spec.Name, err)
			return
		}
		statuses := []containerStatus{}
		for _, s := range p.Status.EphemeralContainerStatuses {
			if s["name"] != spec.Name {
				statuses = append(statuses, s)
				continue
			}
			containerID, _ := s["containerID"].(string)
			terminated := map[string]any{
				"exitCode": code, "reason": reason, "containerID": containerID,
				"startedAt": startedAt.Format(time.RFC3339), "finishedAt": time.Now().UTC().Format(time.RFC3339),
			}
			if message != "" {
				terminated["message"] = message
			}
			updated := containerStatus{}
			for k, v := range s {
				updated[k] = v
			}
			updated["ready"] = false
			updated["started"] = false
			updated["state"] = map[string]any{"terminated": terminated}
			statuses = append(statuses, updated)
		}
		// A JSON merge patch replaces the list; resourceVersion makes it fail on a concurrent change.
		body, _ := json.Marshal(map[string]any{
			"metadata": map[string]any{"resourceVersion": p.Metadata.ResourceVersion},
			"status":   map[string]any{"ephemeralContainerStatuses": statuses},
		})
		req, _ := http.NewRequest(http.MethodPatch, fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s/status", f.apiURL, url.PathEscape(ns), url.PathEscape(name)), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/merge-patch+json")
		res, err := f.api.Do(req)
		if err != nil {
			log.Printf("terminate %s/%s/%s: %v", ns, name, spec.Name, err)
			return
		}
		resBody, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			return
		}
		if res.StatusCode != http.StatusConflict {
			log.Printf("terminate %s/%s/%s: HTTP %d: %s", ns, name, spec.Name, res.StatusCode, bytes.TrimSpace(resBody))
			return
		}
	}
}
