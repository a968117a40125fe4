package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/vmware/govmomi/vim25/types"
)

// write is one journal entry: a block-aligned range written while the disk's sequence counter stood at seq.
type write struct {
	seq      int64
	off, end int64
}

// disk is one virtual disk's content file and change journal. A change id is "<epoch>/<seq>": the epoch changes
// when tracking starts again (enable after a stun, or a reset), which is what makes an older change id unusable.
type disk struct {
	vm       types.ManagedObjectReference
	vmName   string
	key      int32
	label    string
	dsName   string
	dsPath   string // "[LocalDS_0] DC0_H0_VM0/disk1.vmdk"
	file     string // the local file behind it
	capacity int64
	tracking bool
	epoch    string
	counter  int64
	writes   []write
}

func (d *disk) changeID(seq int64) string { return fmt.Sprintf("%s/%d", d.epoch, seq) }

// snapshotDisk is what a snapshot froze of one disk.
type snapshotDisk struct {
	epoch    string // "" when the disk was not tracked at the snapshot
	seq      int64
	file     string
	dsPath   string
	capacity int64
}

type snapshotState struct {
	vm    types.ManagedObjectReference
	disks map[int32]*snapshotDisk
}

type failure struct{ message string }

// state is everything the simulator adds to govmomi's model; one mutex guards it all.
type state struct {
	mu        sync.Mutex
	block     int64
	maxAreas  int
	disks     []*disk
	snapshots map[string]*snapshotState // by snapshot moref value
	cookies   map[string]bool           // sessions issued and not expired
	delay     time.Duration
	failNext  map[string]failure // by SOAP method name
	holdNext  map[string]hold    // by SOAP method name
	advancing map[string]chan struct{}
	pages     map[string]*pagedResult
	pageSeq   int
	calls     map[string]int // SOAP calls by method name
}

func newState(block int64, maxAreas int) *state {
	return &state{block: block, maxAreas: maxAreas, snapshots: map[string]*snapshotState{}, cookies: map[string]bool{}, failNext: map[string]failure{},
		holdNext: map[string]hold{}, advancing: map[string]chan struct{}{}, pages: map[string]*pagedResult{}, calls: map[string]int{}}
}

func (s *state) findDisk(vm string, key int32) *disk {
	for _, d := range s.disks {
		if (d.vm.Value == vm || d.vmName == vm) && d.key == key {
			return d
		}
	}
	return nil
}

func (s *state) disksOf(vm types.ManagedObjectReference) []*disk {
	var list []*disk
	for _, d := range s.disks {
		if d.vm == vm {
			list = append(list, d)
		}
	}
	return list
}

func (s *state) vmNames() []string {
	seen := map[string]bool{}
	var names []string
	for _, d := range s.disks {
		if !seen[d.vm.Value] {
			seen[d.vm.Value] = true
			names = append(names, d.vmName)
		}
	}
	return names
}

// writeAt writes data into the disk's live content and journals the blocks it touched.
func (s *state) writeAt(d *disk, offset int64, data []byte) error {
	if offset < 0 || offset+int64(len(data)) > d.capacity {
		return fmt.Errorf("write of %d bytes at %d is outside the disk (capacity %d)", len(data), offset, d.capacity)
	}
	if len(data) == 0 {
		return nil
	}
	f, err := os.OpenFile(d.file, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteAt(data, offset); err != nil {
		return err
	}
	start := offset / s.block * s.block
	end := (offset + int64(len(data)) + s.block - 1) / s.block * s.block
	if end > d.capacity {
		end = d.capacity
	}
	d.writes = append(d.writes, write{seq: d.counter, off: start, end: end})
	return nil
}

// resetTracking starts a new epoch, as disabling and re-enabling CBT (or a host-side reset) does: every earlier
// change id of the disk stops being usable.
func (s *state) resetTracking(d *disk) {
	d.epoch = newEpoch()
	d.counter++
}

func newEpoch() string {
	u := uuid.New()
	hex := strings.ReplaceAll(u.String(), "-", "")
	// vCenter prints the epoch as 16 space-separated bytes with a dash in the middle.
	var b strings.Builder
	for i := 0; i < 32; i += 2 {
		if i == 16 {
			b.WriteString("-")
		} else if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(hex[i : i+2])
	}
	return b.String()
}

// areas returns the sorted, coalesced union of the blocks written with after < seq <= upTo.
func areas(writes []write, after, upTo int64) [][2]int64 {
	var spans [][2]int64
	for _, w := range writes {
		if w.seq > after && w.seq <= upTo {
			spans = append(spans, [2]int64{w.off, w.end})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	var merged [][2]int64
	for _, sp := range spans {
		if n := len(merged); n > 0 && sp[0] <= merged[n-1][1] {
			if sp[1] > merged[n-1][1] {
				merged[n-1][1] = sp[1]
			}
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

func parseChangeID(id string) (epoch string, seq int64, ok bool) {
	i := strings.LastIndex(id, "/")
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.ParseInt(id[i+1:], 10, 64)
	if err != nil || n < 0 {
		return "", 0, false
	}
	return id[:i], n, true
}
