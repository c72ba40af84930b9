"""Shared machinery every form family uses: access, numbering, states, audit, conflicts, htmx, PDF."""
