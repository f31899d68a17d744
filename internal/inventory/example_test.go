package inventory_test

import (
	"fmt"

	"github.com/drover-sh/drover/internal/inventory"
)

func ExampleExpand() {
	names, _ := inventory.Expand("deploy@web[01:03].example.com:2222")
	fmt.Println(names)
	// Output: [deploy@web01.example.com:2222 deploy@web02.example.com:2222 deploy@web03.example.com:2222]
}

func ExampleCompress() {
	fmt.Println(inventory.Compress([]string{"web01", "web02", "web03", "web05", "db1"}))
	// Output: db1,web[01-03,05]
}

func ExampleInventory_Resolve() {
	inv := &inventory.Inventory{
		Defaults: inventory.Settings{User: "deploy"},
		Groups:   map[string][]string{"web": {"web[1:2]"}, "db": {"db1"}, "app": {"@web", "@db"}},
		Hosts:    map[string]inventory.HostEntry{"web2": {Settings: inventory.Settings{Port: 2222}}},
	}
	hosts, err := inv.Resolve(inventory.Selector{Groups: []string{"app"}, Exclude: "db*"},
		inventory.Flags{}, inventory.Local{User: "me", Home: "/home/me"}, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range hosts {
		fmt.Println(h.Name, h.Endpoint.User, h.Endpoint.Addr(), h.Origin["port"])
	}
	// Output:
	// web1 deploy web1:22 default
	// web2 deploy web2:2222 inventory host
}
