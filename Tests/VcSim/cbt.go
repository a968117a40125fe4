package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// afterSnapshot freezes each disk of a new snapshot: a copy of its content becomes the snapshot's backing file, and
// when the VM tracks changes, the snapshot's disk backings (and the VM's) get the change id of that point.
func (s *state) afterSnapshot(call *soapCall, response []byte) {
	res, err := parseCall(response)
	if err != nil {
		return
	}
	task, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "Task", Value: res.args["returnval"]}).(*simulator.Task)
	if !ok || task.Info.State != types.TaskInfoStateSuccess {
		return
	}
	snapRef, ok := task.Info.Result.(types.ManagedObjectReference)
	if !ok {
		return
	}
	vm, ok := simulator.Map.Get(call.this).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	snap, ok := simulator.Map.Get(snapRef).(*simulator.VirtualMachineSnapshot)
	if !ok {
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	frozen := &snapshotState{vm: vm.Reference(), disks: map[int32]*snapshotDisk{}}
	simulator.Map.WithLock(vm, func() {
		tracking := vm.Config.ChangeTrackingEnabled != nil && *vm.Config.ChangeTrackingEnabled
		for _, d := range s.disksOf(vm.Reference()) {
			sd := &snapshotDisk{capacity: d.capacity}
			if tracking {
				if !d.tracking {
					// Tracking starts at the first stun after it was enabled: this snapshot.
					d.tracking = true
					s.resetTracking(d)
				}
				sd.epoch = d.epoch
				sd.seq = d.counter
				d.counter++
			} else {
				d.tracking = false
				sd.seq = d.counter
				d.counter++
			}
			ext := path.Ext(d.dsPath)
			sd.dsPath = strings.TrimSuffix(d.dsPath, ext) + "-" + snapRef.Value + ext
			sd.file = strings.TrimSuffix(d.file, filepath.Ext(d.file)) + "-" + snapRef.Value + filepath.Ext(d.file)
			if err := copyFile(d.file, sd.file); err != nil {
				fmt.Fprintf(os.Stderr, "freezing %s: %v\n", d.file, err)
			}
			frozen.disks[d.key] = sd
		}

		var devices []types.BaseVirtualDevice
		for _, dev := range snap.Config.Hardware.Device {
			vd, isDisk := dev.(*types.VirtualDisk)
			var sd *snapshotDisk
			if isDisk {
				sd = frozen.disks[vd.Key]
			}
			if !isDisk || sd == nil {
				devices = append(devices, dev)
				continue
			}
			copied := *vd
			backing := *vd.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
			backing.FileName = sd.dsPath
			backing.ChangeId = ""
			if sd.epoch != "" {
				backing.ChangeId = fmt.Sprintf("%s/%d", sd.epoch, sd.seq)
			}
			copied.Backing = &backing
			devices = append(devices, &copied)
			if live, ok := object.VirtualDeviceList(vm.Config.Hardware.Device).FindByKey(vd.Key).(*types.VirtualDisk); ok {
				live.Backing.(*types.VirtualDiskFlatVer2BackingInfo).ChangeId = backing.ChangeId
			}
		}
		snap.Config.Hardware.Device = devices
	})
	s.snapshots[snapRef.Value] = frozen
}

func (s *state) afterRemoveSnapshot(snapshot string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if frozen, ok := s.snapshots[snapshot]; ok {
		for _, sd := range frozen.disks {
			_ = os.Remove(sd.file)
		}
		delete(s.snapshots, snapshot)
	}
}

// queryChangedDiskAreas answers as vCenter does: at most maxAreas areas from startOffset on; the answer's
// startOffset+length says where the next call starts (the capacity once everything was returned).
func (s *state) queryChangedDiskAreas(w http.ResponseWriter, call *soapCall) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, err := strconv.Atoi(call.args["deviceKey"])
	d := s.findDisk(call.this.Value, int32(key))
	if err != nil || d == nil {
		writeFault(w, "InvalidArgument", "A specified parameter was not correct: deviceKey", "<invalidProperty>deviceKey</invalidProperty>")
		return
	}
	start, err := atoi64(call.args["startOffset"])
	if err != nil || start < 0 || start > d.capacity {
		writeFault(w, "InvalidArgument", "A specified parameter was not correct: startOffset", "<invalidProperty>startOffset</invalidProperty>")
		return
	}

	epoch, upTo, capacity := d.epoch, d.counter, d.capacity
	if !d.tracking {
		epoch = ""
	}
	if ref := call.args["snapshot"]; ref != "" {
		frozen, ok := s.snapshots[ref]
		if !ok || frozen.vm != d.vm || frozen.disks[d.key] == nil {
			writeFault(w, "ManagedObjectNotFound", "The object has already been deleted or has not been completely created",
				fmt.Sprintf(`<obj type="VirtualMachineSnapshot">%s</obj>`, html.EscapeString(ref)))
			return
		}
		sd := frozen.disks[d.key]
		epoch, upTo, capacity = sd.epoch, sd.seq, sd.capacity
	}

	changeID := call.args["changeId"]
	var found [][2]int64
	if changeID == "*" {
		found = areas(d.writes, -1, upTo)
	} else {
		if epoch == "" {
			writeCbtFault(w, d, "vim.hostd.vmsvc.cbt.noTrack", "Change tracking is not active on the disk")
			return
		}
		wanted, seq, ok := parseChangeID(changeID)
		if !ok {
			writeFault(w, "InvalidArgument", "A specified parameter was not correct: changeId", "<invalidProperty>changeId</invalidProperty>")
			return
		}
		if wanted != epoch {
			writeCbtFault(w, d, "vim.hostd.vmsvc.cbt.cannotGetChanges", "Cannot compute changes: the change id belongs to another tracking epoch (CBT was reset)")
			return
		}
		if seq > upTo {
			writeFault(w, "InvalidArgument", "A specified parameter was not correct: changeId", "<invalidProperty>changeId</invalidProperty>")
			return
		}
		found = areas(d.writes, seq, upTo)
	}

	var out strings.Builder
	count := 0
	end := capacity
	for _, a := range found {
		if a[1] <= start {
			continue
		}
		if a[0] < start {
			a[0] = start
		}
		if count == s.maxAreas {
			end = out2end(found, start, count)
			break
		}
		fmt.Fprintf(&out, "<changedArea><start>%d</start><length>%d</length></changedArea>", a[0], a[1]-a[0])
		count++
	}
	writeResponse(w, "QueryChangedDiskAreas",
		fmt.Sprintf("<returnval><startOffset>%d</startOffset><length>%d</length>%s</returnval>", start, end-start, out.String()))
}

// out2end is the end of the count-th area at or after start: where a truncated answer stops.
func out2end(found [][2]int64, start int64, count int) int64 {
	n := 0
	for _, a := range found {
		if a[1] <= start {
			continue
		}
		n++
		if n == count {
			return a[1]
		}
	}
	return start
}

func writeCbtFault(w http.ResponseWriter, d *disk, key, message string) {
	writeFault(w, "FileFault", "Error caused by file "+d.dsPath,
		fmt.Sprintf("<faultMessage><key>%s</key><message>%s</message></faultMessage><file>%s</file>",
			key, html.EscapeString(message), html.EscapeString(d.dsPath)))
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
