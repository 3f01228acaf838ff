"""The journal files the accountant imports: the Inexweb layout and the FEC."""
