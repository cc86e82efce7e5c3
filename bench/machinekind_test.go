package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMachineKind(t *testing.T) {
	const kvmFlags = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme de pse tsc msr hypervisor lahf_lm\n"
	const metalFlags = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme de pse tsc msr lahf_lm\n"
	type link struct{ name, target string }
	for _, tc := range []struct {
		name  string
		files map[string]string
		links []link
		want  string
	}{
		{"Firecracker, virtio-mmio", map[string]string{
			"proc/cpuinfo": kvmFlags,
			"proc/cmdline": "console=ttyS0 reboot=k panic=1 pci=off clocksource=kvm-clock virtio_mmio.device=4K@0xd0001000:5 -- --firecracker-init",
		}, []link{{"sys/bus/virtio/devices/virtio0", "../../../devices/platform/d0001000.virtio_mmio/virtio0"}},
			"Firecracker microVM (KVM; no DMI, virtio-mmio)"},
		// This machine: Firecracker with PCI, in Docker.
		{"Firecracker, virtio-pci, in docker", map[string]string{
			"proc/cpuinfo": kvmFlags,
			"proc/cmdline": "console=ttyS0 clocksource=kvm-clock rdinit=/process_api -- --firecracker-init --addr 0.0.0.0:2024",
			".dockerenv":   "",
		}, []link{{"sys/bus/virtio/devices/virtio0", "../../../devices/pci0000:00/0000:00:01.0/virtio0"}},
			"Firecracker microVM (KVM; no DMI, virtio-pci) in a container (docker)"},
		{"QEMU/KVM with DMI", map[string]string{
			"proc/cpuinfo":                  kvmFlags,
			"proc/cmdline":                  "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro",
			"sys/class/dmi/id/sys_vendor":   "QEMU\n",
			"sys/class/dmi/id/product_name": "Standard PC (Q35 + ICH9, 2009)\n",
		}, []link{{"sys/bus/virtio/devices/virtio0", "../../../devices/pci0000:00/0000:00:02.0/virtio0"}},
			"KVM virtual machine (QEMU)"},
		{"Xen", map[string]string{"proc/cpuinfo": kvmFlags, "sys/hypervisor/type": "xen\n"}, nil, "Xen virtual machine"},
		{"unknown hypervisor", map[string]string{
			"proc/cpuinfo":                  kvmFlags,
			"sys/class/dmi/id/sys_vendor":   "Acme\n",
			"sys/class/dmi/id/product_name": "Cloud 9\n",
		}, nil, "virtual machine (hypervisor flag; Acme Cloud 9)"},
		{"bare metal", map[string]string{
			"proc/cpuinfo":                  metalFlags,
			"proc/cmdline":                  "BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p2 ro quiet",
			"sys/class/dmi/id/sys_vendor":   "Dell Inc.\n",
			"sys/class/dmi/id/product_name": "PowerEdge R650\n",
		}, nil, "bare metal (no hypervisor flag)"},
		{"bare metal, in podman", map[string]string{
			"proc/cpuinfo":       metalFlags,
			"run/.containerenv":  "engine=\"podman-4.3.1\"\n",
			"proc/cmdline":       "root=/dev/sda1",
			"sys/class/dmi/id/x": "",
		}, nil, "bare metal (no hypervisor flag) in a container (podman)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for name, data := range tc.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, l := range tc.links {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(root, l.name)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(l.target, filepath.Join(root, l.name)); err != nil {
					t.Fatal(err)
				}
			}
			if got := machineKind(root); got != tc.want {
				t.Errorf("machineKind = %q, want %q", got, tc.want)
			}
		})
	}
}
