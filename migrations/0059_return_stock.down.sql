DROP FUNCTION restaurante.return_stock(text, text, text[]);
