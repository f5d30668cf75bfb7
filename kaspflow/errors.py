"""Exceptions raised by kaspflow.

Two kinds matter to users: an :class:`InputError` stops a whole request before
any work is done (exit status 2), while a :class:`SnpError` is recorded as the
reason one SNP failed and the job goes on.
"""


class KaspflowError(Exception):
    """Base class of every error kaspflow raises on purpose."""


class InputError(KaspflowError):
    """A request, file or setting that cannot be used at all."""


class ConfigError(InputError):
    """An invalid configuration value."""


class SnpError(KaspflowError):
    """A problem with one SNP; the message is the reason shown in snps.tsv."""
