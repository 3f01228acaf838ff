"""The bundled demo company: "La Maison du Coworking", its catalog, customers and a month of
Stripe invoices and credit notes, for the sandbox, `make demo`, the tests and the benchmarks."""

from backend.demo.company import (DEMO_COMPANY, build_demo_company, scale_invoices,
                                  write_demo_company)

__all__ = ["DEMO_COMPANY", "build_demo_company", "scale_invoices", "write_demo_company"]
