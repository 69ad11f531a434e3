"""One router per resource; each turns a REST call into one gRPC call and the answer back."""
