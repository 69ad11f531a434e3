-- Run once by the postgres image on an empty data directory: one database per service (DESIGN.md §1),
-- all owned by the application role the container was started with (POSTGRES_USER).
CREATE DATABASE depot_user;
CREATE DATABASE depot_product;
CREATE DATABASE depot_inventory;
CREATE DATABASE depot_order;
CREATE DATABASE depot_shipping;
CREATE DATABASE depot_report;
CREATE DATABASE depot_audit;
