"""The credit memo as a document a customer receives: a PDF/A-3 credit note with its Factur-X
XML, and the UBL and CII e-invoices. Imported only by the document function, so no other
function pays for the rendering libraries."""
