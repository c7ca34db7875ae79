-- Demo data: the restaurant "Enigma" (rest_enigma_001), its opening hours, menu and tables.
--
-- Idempotent: every row has a fixed id and every INSERT ends in ON CONFLICT DO NOTHING, so a
-- second run inserts nothing and raises nothing. Rows that already exist are left as they are
-- (the seed never overwrites what staff have changed since, e.g. prices or stock).
--
-- Plain SQL with no transaction control: the caller runs it inside its own transaction.
--
-- Inserting a menu item fires restaurante.record_stock_movement(), which writes the item's
-- 'initial' row in the stock ledger; the seed never writes restaurante.stock_movements itself.
-- A second run skips the existing items, so it adds no ledger rows either.

-- ---------------------------------------------------------------------------------------------
-- Restaurant
-- ---------------------------------------------------------------------------------------------
INSERT INTO restaurante.restaurants
  (id, name, timezone, currency, "defaultLanguage", slot_interval_minutes, buffer_minutes)
VALUES
  ('rest_enigma_001', 'Enigma', 'Europe/Madrid', 'EUR', 'es', 15, 15)
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------------------------------
-- Opening hours: Tuesday to Sunday (ISO weekdays 2..7), lunch 13:00-16:00 and dinner
-- 20:00-23:30. Monday is closed, so it has no rows.
-- ---------------------------------------------------------------------------------------------
INSERT INTO restaurante.opening_hours (id, "restaurantId", weekday, opens_at, closes_at)
VALUES
  ('oh_rest_enigma_001_2_lunch',  'rest_enigma_001', 2, '13:00', '16:00'),
  ('oh_rest_enigma_001_2_dinner', 'rest_enigma_001', 2, '20:00', '23:30'),
  ('oh_rest_enigma_001_3_lunch',  'rest_enigma_001', 3, '13:00', '16:00'),
  ('oh_rest_enigma_001_3_dinner', 'rest_enigma_001', 3, '20:00', '23:30'),
  ('oh_rest_enigma_001_4_lunch',  'rest_enigma_001', 4, '13:00', '16:00'),
  ('oh_rest_enigma_001_4_dinner', 'rest_enigma_001', 4, '20:00', '23:30'),
  ('oh_rest_enigma_001_5_lunch',  'rest_enigma_001', 5, '13:00', '16:00'),
  ('oh_rest_enigma_001_5_dinner', 'rest_enigma_001', 5, '20:00', '23:30'),
  ('oh_rest_enigma_001_6_lunch',  'rest_enigma_001', 6, '13:00', '16:00'),
  ('oh_rest_enigma_001_6_dinner', 'rest_enigma_001', 6, '20:00', '23:30'),
  ('oh_rest_enigma_001_7_lunch',  'rest_enigma_001', 7, '13:00', '16:00'),
  ('oh_rest_enigma_001_7_dinner', 'rest_enigma_001', 7, '20:00', '23:30')
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------------------------------
-- Menu categories
-- ---------------------------------------------------------------------------------------------
INSERT INTO restaurante.menu_categories (id, "restaurantId", name, description, "sortOrder")
VALUES
  ('cat_entrantes',   'rest_enigma_001', 'Entrantes',        'Para abrir boca y compartir',              10),
  ('cat_tapas',       'rest_enigma_001', 'Tapas',            'Tapas y raciones de siempre',              20),
  ('cat_principales', 'rest_enigma_001', 'Principales',      'Arroces, pescados y carnes',               30),
  ('cat_postres',     'rest_enigma_001', 'Postres',          'Dulces caseros',                           40),
  ('cat_bebidas',     'rest_enigma_001', 'Bebidas',          'Refrescos, cervezas, cafés y sangría',     50),
  ('cat_vinos',       'rest_enigma_001', 'Vinos',            'Selección de vinos españoles',             60)
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------------------------------
-- Menu items: 40 dishes and drinks. Allergens use the EU 1169/2011 Annex II names the
-- menu_items CHECK allows. Demo hooks: item_tarta_queso has stock 3 ("the last dessert"), and
-- item_torrija is unavailable (seasonal), so ordering it fails with ITEM_UNAVAILABLE (CM001).
-- ---------------------------------------------------------------------------------------------
INSERT INTO restaurante.menu_items
  (id, "restaurantId", "categoryId", name, description, price, stock, "isAvailable", allergens, "sortOrder")
VALUES
  -- Entrantes
  ('item_jamon_iberico', 'rest_enigma_001', 'cat_entrantes', 'Jamón ibérico de bellota',
   'Cortado a cuchillo, con picos de Jerez aparte', 24.00, 20, true,
   ARRAY[]::text[], 10),
  ('item_queso_manchego', 'rest_enigma_001', 'cat_entrantes', 'Queso manchego curado',
   'Tabla de queso de oveja curado con aceite de oliva virgen', 12.50, 25, true,
   ARRAY['milk']::text[], 20),
  ('item_ensalada_mixta', 'rest_enigma_001', 'cat_entrantes', 'Ensalada mixta',
   'Lechuga, tomate, cebolla, atún, huevo cocido y aceitunas, aliñada con vinagre de Jerez', 9.50, 30, true,
   ARRAY['fish', 'eggs', 'sulphites']::text[], 30),
  ('item_salmorejo', 'rest_enigma_001', 'cat_entrantes', 'Salmorejo cordobés',
   'Crema fría de tomate y pan con huevo picado y virutas de jamón', 8.50, 35, true,
   ARRAY['gluten', 'eggs']::text[], 40),
  ('item_pimientos_padron', 'rest_enigma_001', 'cat_entrantes', 'Pimientos de Padrón',
   'Fritos en aceite de oliva con sal en escamas; unos pican y otros no', 7.50, 40, true,
   ARRAY[]::text[], 50),
  ('item_pulpo_gallega', 'rest_enigma_001', 'cat_entrantes', 'Pulpo a la gallega',
   'Pulpo cocido sobre cachelos, con pimentón de la Vera y aceite de oliva', 22.00, 15, true,
   ARRAY['molluscs']::text[], 60),

  -- Tapas
  ('item_patatas_bravas', 'rest_enigma_001', 'cat_tapas', 'Patatas bravas',
   'Patatas fritas con salsa brava picante y alioli', 6.50, 60, true,
   ARRAY['gluten', 'eggs']::text[], 10),
  ('item_croquetas_jamon', 'rest_enigma_001', 'cat_tapas', 'Croquetas de jamón (6 uds.)',
   'Bechamel cremosa de jamón ibérico, empanadas y fritas al momento', 9.00, 60, true,
   ARRAY['gluten', 'milk', 'eggs']::text[], 20),
  ('item_tortilla_patatas', 'rest_enigma_001', 'cat_tapas', 'Tortilla de patatas',
   'Jugosa, con cebolla pochada; se sirve por porciones', 7.50, 20, true,
   ARRAY['eggs']::text[], 30),
  ('item_gambas_ajillo', 'rest_enigma_001', 'cat_tapas', 'Gambas al ajillo',
   'En cazuela de barro con ajo laminado y guindilla', 14.50, 25, true,
   ARRAY['crustaceans']::text[], 40),
  ('item_calamares_romana', 'rest_enigma_001', 'cat_tapas', 'Calamares a la romana',
   'Anillas de calamar rebozadas con limón', 12.00, 30, true,
   ARRAY['molluscs', 'gluten', 'eggs']::text[], 50),
  ('item_boquerones_vinagre', 'rest_enigma_001', 'cat_tapas', 'Boquerones en vinagre',
   'Marinados con ajo, perejil y aceite de oliva', 8.00, 25, true,
   ARRAY['fish', 'sulphites']::text[], 60),
  ('item_pan_tomate', 'rest_enigma_001', 'cat_tapas', 'Pan con tomate',
   'Pan de cristal tostado con tomate rallado y aceite de oliva', 3.50, 80, true,
   ARRAY['gluten']::text[], 70),
  ('item_gilda', 'rest_enigma_001', 'cat_tapas', 'Gilda',
   'Banderilla de anchoa, aceituna y guindilla en vinagre', 3.00, 50, true,
   ARRAY['fish', 'sulphites']::text[], 80),

  -- Principales
  ('item_paella_marisco', 'rest_enigma_001', 'cat_principales', 'Paella de marisco',
   'Arroz con gambas, cigalas, mejillones y calamar en fumet de pescado (precio por persona)', 19.50, 20, true,
   ARRAY['crustaceans', 'molluscs', 'fish']::text[], 10),
  ('item_arroz_negro', 'rest_enigma_001', 'cat_principales', 'Arroz negro',
   'Arroz en tinta de calamar con sepia y gambas, servido con alioli (precio por persona)', 18.50, 15, true,
   ARRAY['molluscs', 'crustaceans', 'fish', 'eggs']::text[], 20),
  ('item_lubina_plancha', 'rest_enigma_001', 'cat_principales', 'Lubina a la plancha',
   'Con verduras de temporada y refrito de ajo', 21.00, 12, true,
   ARRAY['fish']::text[], 30),
  ('item_bacalao_pilpil', 'rest_enigma_001', 'cat_principales', 'Bacalao al pil-pil',
   'Lomo de bacalao confitado en aceite de oliva con su emulsión de ajo y guindilla', 23.50, 10, true,
   ARRAY['fish']::text[], 40),
  ('item_chuleton_buey', 'rest_enigma_001', 'cat_principales', 'Chuletón de buey (1 kg)',
   'Madurado, a la brasa, con patatas fritas y pimientos asados', 45.00, 8, true,
   ARRAY[]::text[], 50),
  ('item_secreto_iberico', 'rest_enigma_001', 'cat_principales', 'Secreto ibérico',
   'A la brasa, con patatas panaderas', 19.00, 15, true,
   ARRAY[]::text[], 60),
  ('item_rabo_toro', 'rest_enigma_001', 'cat_principales', 'Rabo de toro estofado',
   'Guisado a fuego lento con vino tinto y verduras', 22.50, 10, true,
   ARRAY['sulphites', 'celery']::text[], 70),
  ('item_pollo_ajillo', 'rest_enigma_001', 'cat_principales', 'Pollo al ajillo',
   'Muslos de pollo de corral con ajos y vino blanco', 14.00, 18, true,
   ARRAY['sulphites']::text[], 80),
  ('item_verduras_romesco', 'rest_enigma_001', 'cat_principales', 'Verduras a la brasa con romesco',
   'Calçots, berenjena, calabacín y pimiento con salsa romesco de almendra y avellana', 15.00, 20, true,
   ARRAY['nuts', 'gluten', 'sulphites']::text[], 90),

  -- Postres
  ('item_tarta_queso', 'rest_enigma_001', 'cat_postres', 'Tarta de queso de la casa',
   'Cremosa, al horno, sobre base de galleta', 6.50, 3, true,
   ARRAY['milk', 'eggs', 'gluten']::text[], 10),
  ('item_crema_catalana', 'rest_enigma_001', 'cat_postres', 'Crema catalana',
   'Con costra de azúcar quemado al momento', 5.50, 20, true,
   ARRAY['milk', 'eggs']::text[], 20),
  ('item_flan_casero', 'rest_enigma_001', 'cat_postres', 'Flan casero',
   'Flan de huevo con caramelo y nata', 4.50, 25, true,
   ARRAY['milk', 'eggs']::text[], 30),
  ('item_churros_chocolate', 'rest_enigma_001', 'cat_postres', 'Churros con chocolate',
   'Churros recién hechos con chocolate caliente a la taza', 5.50, 30, true,
   ARRAY['gluten', 'milk']::text[], 40),
  ('item_tarta_santiago', 'rest_enigma_001', 'cat_postres', 'Tarta de Santiago',
   'Bizcocho de almendra gallego, sin harina', 6.00, 15, true,
   ARRAY['nuts', 'eggs']::text[], 50),
  ('item_torrija', 'rest_enigma_001', 'cat_postres', 'Torrija',
   'Pan brioche empapado en leche con canela; solo en Semana Santa', 5.50, 10, false,
   ARRAY['gluten', 'milk', 'eggs']::text[], 60),

  -- Bebidas
  ('item_agua_mineral', 'rest_enigma_001', 'cat_bebidas', 'Agua mineral (50 cl)',
   'Natural o con gas', 2.00, 120, true,
   ARRAY[]::text[], 10),
  ('item_refresco', 'rest_enigma_001', 'cat_bebidas', 'Refresco',
   'Cola, naranja o limón', 2.80, 100, true,
   ARRAY[]::text[], 20),
  ('item_cana_cerveza', 'rest_enigma_001', 'cat_bebidas', 'Caña de cerveza',
   'Cerveza de barril bien tirada', 2.50, 120, true,
   ARRAY['gluten']::text[], 30),
  ('item_cafe_solo', 'rest_enigma_001', 'cat_bebidas', 'Café solo',
   'Espresso de tueste natural', 1.50, 120, true,
   ARRAY[]::text[], 40),
  ('item_cafe_con_leche', 'rest_enigma_001', 'cat_bebidas', 'Café con leche',
   'Espresso con leche caliente', 1.80, 120, true,
   ARRAY['milk']::text[], 50),
  ('item_sangria', 'rest_enigma_001', 'cat_bebidas', 'Sangría (jarra de 1 l)',
   'Vino tinto con fruta de temporada, canela y un toque de brandy', 16.00, 30, true,
   ARRAY['sulphites']::text[], 60),

  -- Vinos
  ('item_rioja_crianza_copa', 'rest_enigma_001', 'cat_vinos', 'Rioja crianza (copa)',
   'D.O.Ca. Rioja, tempranillo, 12 meses en barrica', 4.50, 80, true,
   ARRAY['sulphites']::text[], 10),
  ('item_rioja_crianza_botella', 'rest_enigma_001', 'cat_vinos', 'Rioja crianza (botella)',
   'D.O.Ca. Rioja, tempranillo, 12 meses en barrica', 24.00, 24, true,
   ARRAY['sulphites']::text[], 20),
  ('item_verdejo_copa', 'rest_enigma_001', 'cat_vinos', 'Verdejo (copa)',
   'D.O. Rueda, blanco fresco y afrutado', 4.00, 80, true,
   ARRAY['sulphites']::text[], 30),
  ('item_albarino_botella', 'rest_enigma_001', 'cat_vinos', 'Albariño (botella)',
   'D.O. Rías Baixas, ideal con marisco', 25.00, 18, true,
   ARRAY['sulphites']::text[], 40),
  ('item_cava_brut_nature', 'rest_enigma_001', 'cat_vinos', 'Cava brut nature (botella)',
   'D.O. Cava, método tradicional', 22.00, 12, true,
   ARRAY['sulphites']::text[], 50)
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------------------------------
-- Tables: 12 tables, 48 seats (sala, terraza and barra).
-- ---------------------------------------------------------------------------------------------
INSERT INTO restaurante.tables (id, "restaurantId", number, capacity, location)
VALUES
  ('table_01', 'rest_enigma_001',  1, 2, 'sala'),
  ('table_02', 'rest_enigma_001',  2, 2, 'sala'),
  ('table_03', 'rest_enigma_001',  3, 4, 'sala'),
  ('table_04', 'rest_enigma_001',  4, 4, 'sala'),
  ('table_05', 'rest_enigma_001',  5, 4, 'sala'),
  ('table_06', 'rest_enigma_001',  6, 6, 'sala'),
  ('table_07', 'rest_enigma_001',  7, 6, 'sala'),
  ('table_08', 'rest_enigma_001',  8, 8, 'sala'),
  ('table_09', 'rest_enigma_001',  9, 2, 'terraza'),
  ('table_10', 'rest_enigma_001', 10, 4, 'terraza'),
  ('table_11', 'rest_enigma_001', 11, 4, 'terraza'),
  ('table_12', 'rest_enigma_001', 12, 2, 'barra')
ON CONFLICT DO NOTHING;

-- Turn times by party size, and tables staff push together for bigger parties.
INSERT INTO restaurante.turn_times ("restaurantId", min_party, max_party, minutes) VALUES
  ('rest_enigma_001', 1, 2, 90),
  ('rest_enigma_001', 3, 4, 105),
  ('rest_enigma_001', 5, 8, 120),
  ('rest_enigma_001', 9, 50, 150)
ON CONFLICT DO NOTHING;

INSERT INTO restaurante.table_combinations (id, "restaurantId", name, table_ids) VALUES
  ('combo_01_02', 'rest_enigma_001', 'Mesas 1 + 2', ARRAY['table_01', 'table_02']),
  ('combo_06_07', 'rest_enigma_001', 'Mesas 6 + 7', ARRAY['table_06', 'table_07']),
  ('combo_10_11', 'rest_enigma_001', 'Terraza 10 + 11', ARRAY['table_10', 'table_11']),
  ('combo_08_09_12', 'rest_enigma_001', 'Mesas 8 + 9 + 12', ARRAY['table_08', 'table_09', 'table_12'])
ON CONFLICT DO NOTHING;
