-- Läsvärt Bokhandel AB: the web shop's own database, as data-map/webbutik.yaml maps it.
-- Written for SQLite (sqlite3 webbutik.db < webbutik.sql); see README.md for the types to
-- use on PostgreSQL and MariaDB. `dataskydd demo` fills the customer tables from the map;
-- the catalogue of books is the shop's own and is filled here.

CREATE TABLE product (
    id INTEGER PRIMARY KEY,
    title VARCHAR(200) NOT NULL,
    price NUMERIC(10, 2) NOT NULL
);

CREATE TABLE shop_customer (
    id INTEGER PRIMARY KEY,
    email VARCHAR(200),
    display_name VARCHAR(200),
    register_number INTEGER,
    created_at DATETIME
);

CREATE TABLE shop_order (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES shop_customer (id),
    order_number VARCHAR(20) NOT NULL UNIQUE,
    ordered_at DATETIME NOT NULL,
    delivery_name VARCHAR(200),
    delivery_street VARCHAR(200),
    delivery_postal_code VARCHAR(10),
    delivery_city VARCHAR(100),
    delivery_phone VARCHAR(30),
    status VARCHAR(20)
);

CREATE TABLE shop_order_line (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES shop_order (id),
    product_id INTEGER REFERENCES product (id),
    quantity INTEGER,
    gift_message TEXT
);

CREATE TABLE fraud_signal (
    id INTEGER PRIMARY KEY,
    email VARCHAR(200),
    phone VARCHAR(30),
    signal VARCHAR(100),
    score INTEGER,
    assessment TEXT,
    checked_at DATETIME
);

INSERT INTO product (title, price) VALUES
    ('Röda rummet', 149.00),
    ('Doktor Glas', 129.00),
    ('Gösta Berlings saga', 169.00),
    ('Hemsöborna', 119.00),
    ('Kallocain', 139.00),
    ('Utvandrarna', 189.00);
