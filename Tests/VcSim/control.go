package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// controlHandler serves the test-only API under /control (see README.md in this folder for every route).
func (s *state) controlHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/control"), "/"), "/")
		q := r.URL.Query()
		switch {
		case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "vms":
			s.listVMs(w)
		case r.Method == http.MethodPost && len(parts) == 2 && parts[0] == "sessions" && parts[1] == "expire":
			s.mu.Lock()
			expired := len(s.cookies)
			s.cookies = map[string]bool{}
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, map[string]int{"expired": expired})
		case r.Method == http.MethodPost && len(parts) == 1 && parts[0] == "delay":
			ms, err := strconv.Atoi(q.Get("ms"))
			if err != nil || ms < 0 {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "ms must be a non-negative integer"})
				return
			}
			s.mu.Lock()
			s.delay = time.Duration(ms) * time.Millisecond
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, map[string]int{"delay_ms": ms})
		case r.Method == http.MethodPost && len(parts) == 1 && parts[0] == "fail-next-task":
			method, message := q.Get("method"), q.Get("message")
			if method == "" || message == "" {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "method and message are required"})
				return
			}
			s.mu.Lock()
			s.failNext[method] = failure{message: message}
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, map[string]string{"method": method, "message": message})
		case r.Method == http.MethodPost && len(parts) == 1 && parts[0] == "hold-next-task":
			method := q.Get("method")
			var h hold
			for _, p := range strings.Split(q.Get("progress"), ",") {
				n, err := strconv.Atoi(strings.TrimSpace(p))
				if err != nil || n < 0 || n > 100 {
					h.progress = nil
					break
				}
				h.progress = append(h.progress, int32(n))
			}
			ms, err := strconv.Atoi(q.Get("step-ms"))
			if !strings.HasSuffix(method, "_Task") || len(h.progress) == 0 || err != nil || ms < 0 {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "method (a *_Task method), progress (percentages, comma-separated) and step-ms are required"})
				return
			}
			h.step = time.Duration(ms) * time.Millisecond
			s.mu.Lock()
			if ms == 0 {
				h.advance = make(chan struct{})
				s.advancing[method] = h.advance
			}
			s.holdNext[method] = h
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, map[string]interface{}{"method": method, "progress": h.progress, "step_ms": ms})
		case r.Method == http.MethodPost && len(parts) == 1 && parts[0] == "advance-task":
			s.advanceTask(w, q.Get("method"))
		case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "calls":
			s.mu.Lock()
			counts := map[string]int{}
			for k, v := range s.calls {
				counts[k] = v
			}
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, map[string]map[string]int{"calls": counts})
		case len(parts) >= 3 && parts[0] == "vms":
			s.vmRoute(w, r, parts[1], parts[2:])
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such control route: " + r.Method + " " + r.URL.Path})
		}
	})
}

func (s *state) vmRoute(w http.ResponseWriter, r *http.Request, vmName string, rest []string) {
	vm := findVM(vmName)
	if vm == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no VM " + vmName})
		return
	}
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && len(rest) == 1 && rest[0] == "rename":
		name := q.Get("name")
		if name == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "name is required"})
			return
		}
		simulator.Map.WithLock(vm, func() {
			vm.Name = name
			vm.Config.Name = name
			vm.Summary.Config.Name = name
		})
		s.mu.Lock()
		for _, d := range s.disksOf(vm.Reference()) {
			d.vmName = name
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"moref": vm.Self.Value, "name": name})
	case r.Method == http.MethodPost && len(rest) == 1 && rest[0] == "cbt":
		enabled := q.Get("enabled") == "true"
		simulator.Map.WithLock(vm, func() { vm.Config.ChangeTrackingEnabled = types.NewBool(enabled) })
		if !enabled {
			s.mu.Lock()
			for _, d := range s.disksOf(vm.Reference()) {
				d.tracking = false
			}
			s.mu.Unlock()
		}
		writeJSON(w, http.StatusOK, map[string]bool{"change_tracking_enabled": enabled})
	case r.Method == http.MethodGet && len(rest) == 1 && rest[0] == "snapshots":
		var names []string
		simulator.Map.WithLock(vm, func() {
			if vm.Snapshot != nil {
				names = snapshotNames(vm.Snapshot.RootSnapshotList, nil)
			}
		})
		if names == nil {
			names = []string{}
		}
		writeJSON(w, http.StatusOK, map[string][]string{"snapshots": names})
	case len(rest) == 3 && rest[0] == "disks":
		key, err := strconv.Atoi(rest[1])
		s.mu.Lock()
		defer s.mu.Unlock()
		d := s.findDisk(vm.Self.Value, int32(key))
		if err != nil || d == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no disk " + rest[1] + " on " + vmName})
			return
		}
		s.diskRoute(w, r, d, rest[2])
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such control route: " + r.Method + " " + r.URL.Path})
	}
}

// diskRoute runs with s.mu held.
func (s *state) diskRoute(w http.ResponseWriter, r *http.Request, d *disk, action string) {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && action == "write":
		offset, err := atoi64(q.Get("offset"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "offset is required"})
			return
		}
		data, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err == nil {
			err = s.writeAt(d, offset, data)
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]int64{"offset": offset, "length": int64(len(data))})
	case r.Method == http.MethodGet && action == "sha256":
		f, err := os.Open(d.file)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		defer f.Close()
		h := sha256.New()
		n, _ := io.Copy(h, f)
		writeJSON(w, http.StatusOK, map[string]interface{}{"sha256": hex.EncodeToString(h.Sum(nil)), "bytes": n})
	case r.Method == http.MethodGet && action == "areas":
		// Live areas: "*" the allocated ones, or those changed since a change id of the current epoch.
		after := int64(-1)
		if id := q.Get("changeId"); id != "*" {
			epoch, seq, ok := parseChangeID(id)
			if !ok || epoch != d.epoch {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "changeId must be * or a change id of the current epoch"})
				return
			}
			after = seq
		}
		found := areas(d.writes, after, d.counter)
		list := make([][2]int64, 0, len(found))
		var total int64
		for _, a := range found {
			list = append(list, [2]int64{a[0], a[1] - a[0]})
			total += a[1] - a[0]
		}
		writeJSON(w, http.StatusOK, map[string]interface{}{"areas": list, "bytes": total})
	case r.Method == http.MethodPost && action == "reset-cbt":
		s.resetTracking(d)
		writeJSON(w, http.StatusOK, map[string]string{"epoch": d.epoch})
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such control route: " + r.Method + " " + r.URL.Path})
	}
}

type diskView struct {
	Key      int32  `json:"key"`
	Label    string `json:"label"`
	File     string `json:"file"`
	Capacity int64  `json:"capacity"`
	Tracking bool   `json:"tracking"`
	Epoch    string `json:"epoch"`
	ChangeID string `json:"change_id"`
}

type vmView struct {
	Name  string     `json:"name"`
	Moref string     `json:"moref"`
	Uuid  string     `json:"instance_uuid"`
	Cbt   bool       `json:"change_tracking_enabled"`
	Disks []diskView `json:"disks"`
}

func (s *state) listVMs(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var views []vmView
	index := map[string]int{}
	for _, d := range s.disks {
		i, ok := index[d.vm.Value]
		if !ok {
			vm := simulator.Map.Get(d.vm).(*simulator.VirtualMachine)
			view := vmView{Name: d.vmName, Moref: d.vm.Value}
			simulator.Map.WithLock(vm, func() {
				view.Uuid = vm.Config.InstanceUuid
				view.Cbt = vm.Config.ChangeTrackingEnabled != nil && *vm.Config.ChangeTrackingEnabled
			})
			views = append(views, view)
			i = len(views) - 1
			index[d.vm.Value] = i
		}
		view := diskView{Key: d.key, Label: d.label, File: d.dsPath, Capacity: d.capacity, Tracking: d.tracking, Epoch: d.epoch}
		vm := simulator.Map.Get(d.vm).(*simulator.VirtualMachine)
		simulator.Map.WithLock(vm, func() {
			if live, ok := object.VirtualDeviceList(vm.Config.Hardware.Device).FindByKey(d.key).(*types.VirtualDisk); ok {
				view.ChangeID = live.Backing.(*types.VirtualDiskFlatVer2BackingInfo).ChangeId
			}
		})
		views[i].Disks = append(views[i].Disks, view)
	}
	writeJSON(w, http.StatusOK, map[string][]vmView{"vms": views})
}

func findVM(nameOrMoref string) *simulator.VirtualMachine {
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		if vm.Self.Value == nameOrMoref || vm.Name == nameOrMoref {
			return vm
		}
	}
	return nil
}

func snapshotNames(trees []types.VirtualMachineSnapshotTree, into []string) []string {
	for _, t := range trees {
		into = append(into, t.Name)
		into = snapshotNames(t.ChildSnapshotList, into)
	}
	return into
}

func writeJSON(w http.ResponseWriter, status int, value interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(value)
}
