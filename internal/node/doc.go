// Package node wires a broker together and owns its start and stop order.
// It is the only package that imports everything; nothing imports it but
// the command line and tests.
//
// Start order: lock the data directory, bind the listeners (so the real
// port is known before the broker registers itself), start the metadata
// controller and replay its log, open the partitions the image assigns to
// this node, allocate producer ids, and only then accept connections.
// Close runs the same steps backwards: stop accepting and close every
// connection, flush and close the partition logs, stop the controller,
// release the lock.
package node
