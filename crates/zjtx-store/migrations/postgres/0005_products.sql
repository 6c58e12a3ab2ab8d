-- An enterprise's main products (主导产品, a template column) kept beside its name, so that the
-- registry's search finds an enterprise by what it makes. Filled by imports from this version on.
ALTER TABLE enterprises ADD COLUMN main_products TEXT;
