"""An organization's trail once chained: reading it back (``trail``), verifying records, links and
signed checkpoints (``verify``, ``verification``), the locked copy (``archive``, ``compare``), exports
that verify offline (``export``), and the routes its Admins use to search, verify and export it.

Shared by the audit service and the api so that both give one verdict. Must never write the log:
only the audit service appends to it.
"""
