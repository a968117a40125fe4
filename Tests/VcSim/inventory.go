package main

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

// buildInventory gives every VM of the model the configured disks (the model makes one 1 MiB disk each) as real,
// sparse files of their capacity with some initial content, and registers them with the change journal.
func buildInventory(ctx context.Context, model *simulator.Model, st *state, sizes []int64) error {
	client, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		return err
	}
	entities := simulator.Map.All("VirtualMachine")
	sort.Slice(entities, func(i, j int) bool { return entities[i].Entity().Name < entities[j].Entity().Name })
	for _, entity := range entities {
		vm := entity.(*simulator.VirtualMachine)
		ref := vm.Reference()
		devices := object.VirtualDeviceList(vm.Config.Hardware.Device)
		existing := devices.SelectByType((*types.VirtualDisk)(nil))
		if len(existing) == 0 {
			return fmt.Errorf("%s has no disk", vm.Name)
		}
		first := existing[0].(*types.VirtualDisk)
		backing := first.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
		controller, err := devices.FindDiskController("")
		if err != nil {
			return err
		}
		for i := 1; i < len(sizes); i++ {
			var dsPath object.DatastorePath
			dsPath.FromString(backing.FileName)
			dsPath.Path = path.Join(path.Dir(dsPath.Path), fmt.Sprintf("disk%d.vmdk", i+1))
			added := devices.CreateDisk(controller, *backing.Datastore, dsPath.String())
			added.CapacityInKB = sizes[i] / 1024
			if err := object.NewVirtualMachine(client, ref).AddDevice(ctx, added); err != nil {
				return fmt.Errorf("%s: adding disk %d: %v", vm.Name, i+1, err)
			}
			devices = append(devices, added)
		}

		var diskList []*types.VirtualDisk
		simulator.Map.WithLock(vm, func() {
			for _, dev := range object.VirtualDeviceList(vm.Config.Hardware.Device).SelectByType((*types.VirtualDisk)(nil)) {
				diskList = append(diskList, dev.(*types.VirtualDisk))
			}
			for i, d := range diskList {
				if i < len(sizes) {
					d.CapacityInKB = sizes[i] / 1024
					d.CapacityInBytes = sizes[i]
				}
				// vCenter numbers SCSI disks 2000, 2001, ... and labels them "Hard disk N"; the model does neither.
				old, key := d.Key, int32(2000+i)
				d.Key = key
				for j := range vm.LayoutEx.Disk {
					if vm.LayoutEx.Disk[j].Key == old {
						vm.LayoutEx.Disk[j].Key = key
					}
				}
				d.DeviceInfo = &types.Description{Label: fmt.Sprintf("Hard disk %d", i+1), Summary: fmt.Sprintf("%d KB", d.CapacityInKB)}
			}
		})

		for i, vd := range diskList {
			b := vd.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
			var p object.DatastorePath
			p.FromString(b.FileName)
			local, err := localPath(p)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(local), 0o700); err != nil {
				return err
			}
			f, err := os.OpenFile(local, os.O_CREATE|os.O_RDWR, 0o600)
			if err != nil {
				return err
			}
			err = f.Truncate(vd.CapacityInBytes)
			_ = f.Close()
			if err != nil {
				return err
			}
			label := ""
			if info := vd.DeviceInfo; info != nil {
				label = info.GetDescription().Label
			}
			if label == "" {
				label = fmt.Sprintf("Hard disk %d", i+1)
			}
			d := &disk{vm: ref, vmName: vm.Name, key: vd.Key, label: label, dsName: p.Datastore, dsPath: b.FileName, file: local, capacity: vd.CapacityInBytes, epoch: ""}
			st.disks = append(st.disks, d)
			if err := fillInitialContent(st, d, int64(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// fillInitialContent writes pseudo-random data into two extents (the first and one in the middle), so a full sync
// has allocated areas to move and holes to skip.
func fillInitialContent(st *state, d *disk, salt int64) error {
	extent := d.capacity / 8
	if extent > 1<<20 {
		extent = 1 << 20
	}
	rng := rand.New(rand.NewSource(int64(d.key)*7919 + salt + int64(len(d.vmName))*104729))
	for _, off := range []int64{0, d.capacity / 2} {
		data := make([]byte, extent)
		rng.Read(data)
		if err := st.writeAt(d, off, data); err != nil {
			return err
		}
	}
	return nil
}

func localPath(p object.DatastorePath) (string, error) {
	for _, e := range simulator.Map.All("Datastore") {
		ds := e.(*simulator.Datastore)
		if ds.Name == p.Datastore {
			return filepath.Join(ds.Info.GetDatastoreInfo().Url, p.Path), nil
		}
	}
	return "", fmt.Errorf("no datastore %q", p.Datastore)
}

// datastoreFolders lists "name=local folder" of every datastore: where a test finds a disk file on this machine
// (nbdkit's file plugin in front of it stands in for the vddk plugin in front of ESXi).
func datastoreFolders() []string {
	var out []string
	for _, e := range simulator.Map.All("Datastore") {
		ds := e.(*simulator.Datastore)
		out = append(out, ds.Name+"="+ds.Info.GetDatastoreInfo().Url)
	}
	sort.Strings(out)
	return out
}
