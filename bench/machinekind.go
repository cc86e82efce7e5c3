package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// machineKind says what kind of machine the figures come from (a microVM's
// page faults cost more than bare metal's), from the files under root: the
// hypervisor flag in /proc/cpuinfo, /proc/cmdline, the DMI vendor and
// product, /sys/hypervisor/type and the virtio bus; then whether it is a
// container, from systemd-detect-virt --container (only when root is /),
// /.dockerenv or /run/.containerenv.
func machineKind(root string) string {
	read := func(name string) string {
		data, _ := os.ReadFile(filepath.Join(root, name))
		return strings.TrimSpace(string(data))
	}
	cpuinfo, cmdline := read("proc/cpuinfo"), read("proc/cmdline")
	vendor, product := read("sys/class/dmi/id/sys_vendor"), read("sys/class/dmi/id/product_name")
	hvType := read("sys/hypervisor/type")
	hvFlag := regexp.MustCompile(`(?m)^flags\s*:.*\bhypervisor\b`).MatchString(cpuinfo)
	_, err := os.Stat(filepath.Join(root, "sys/class/dmi/id"))
	dmi := err == nil

	// The virtio transport: a device's link goes through the PCI bus or
	// through the platform bus (virtio-mmio, as Firecracker's did).
	virtio := ""
	if links, _ := filepath.Glob(filepath.Join(root, "sys/bus/virtio/devices/*")); len(links) > 0 {
		virtio = "virtio"
		if target, err := os.Readlink(links[0]); err == nil {
			switch {
			case strings.Contains(target, "/pci"):
				virtio = "virtio-pci"
			case strings.Contains(target, "/platform/"), strings.Contains(target, "virtio-mmio"), strings.Contains(target, "virtio_mmio"):
				virtio = "virtio-mmio"
			}
		}
	} else if _, err := os.Stat(filepath.Join(root, "sys/bus/virtio")); err == nil {
		virtio = "virtio"
	}
	kvm := strings.Contains(cmdline, "kvm-clock") || strings.Contains(vendor+product, "KVM") || vendor == "QEMU"

	var kind string
	switch {
	case strings.Contains(cmdline, "firecracker") || strings.Contains(vendor+product, "Firecracker"):
		var detail []string
		if kvm || hvFlag {
			detail = append(detail, "KVM")
		}
		more := []string{}
		if !dmi {
			more = append(more, "no DMI")
		}
		if virtio != "" {
			more = append(more, virtio)
		}
		kind = "Firecracker microVM"
		if len(more) > 0 {
			detail = append(detail, strings.Join(more, ", "))
		}
		if len(detail) > 0 {
			kind += " (" + strings.Join(detail, "; ") + ")"
		}
	case strings.EqualFold(hvType, "xen") || strings.Contains(vendor, "Xen"):
		kind = "Xen virtual machine"
	case vendor == "QEMU" || strings.Contains(product, "KVM"):
		kind = "KVM virtual machine (" + or(vendor, "QEMU") + ")"
	case vendor == "Amazon EC2":
		kind = "Amazon EC2 virtual machine (" + or(product, "Nitro") + ")"
	case vendor == "Google":
		kind = "Google Compute Engine virtual machine"
	case strings.HasPrefix(vendor, "VMware"):
		kind = "VMware virtual machine"
	case vendor == "Microsoft Corporation" && product == "Virtual Machine":
		kind = "Hyper-V virtual machine"
	case strings.Contains(product, "VirtualBox"):
		kind = "VirtualBox virtual machine"
	case hvFlag:
		kind = "virtual machine (hypervisor flag"
		if vendor != "" {
			kind += "; " + strings.TrimSpace(vendor+" "+product)
		}
		kind += ")"
	default:
		kind = "bare metal (no hypervisor flag)"
	}

	container := ""
	if root == "/" {
		if out, err := exec.Command("systemd-detect-virt", "--container").Output(); err == nil {
			if c := strings.TrimSpace(string(out)); c != "" && c != "none" {
				container = c
			}
		}
	}
	if container == "" {
		if _, err := os.Stat(filepath.Join(root, ".dockerenv")); err == nil {
			container = "docker"
		} else if _, err := os.Stat(filepath.Join(root, "run/.containerenv")); err == nil {
			container = "podman"
		}
	}
	if container != "" {
		kind += " in a container (" + container + ")"
	}
	return kind
}

// or is s, or else when s is empty.
func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
