"""Readers for the SNP files users submit; :mod:`kaspflow.variants` is the public entry point."""
