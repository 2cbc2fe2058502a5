package main

import (
	"os"
	"path/filepath"
	"strings"
)

// onEC2 reports whether the machine whose sysfs is at sys is an EC2
// instance, by the marks AWS documents for telling one apart without
// asking IMDS: Nitro puts the instance ID in the DMI board asset tag (and
// "Amazon EC2" as the vendor), Xen a system or hypervisor UUID starting
// with ec2. A laptop, a hybrid node or CI has none of them, so the agent
// never sends a packet to 169.254.169.254 there.
func onEC2(sys string) bool {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(sys, name))
		if err != nil {
			return ""
		}
		return strings.ToLower(strings.TrimSpace(string(b)))
	}
	return strings.HasPrefix(read("devices/virtual/dmi/id/board_asset_tag"), "i-") ||
		read("devices/virtual/dmi/id/sys_vendor") == "amazon ec2" ||
		strings.HasPrefix(read("hypervisor/uuid"), "ec2") ||
		strings.HasPrefix(read("devices/virtual/dmi/id/product_uuid"), "ec2") // root only
}
