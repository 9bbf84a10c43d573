import { mountLogin } from "./features/auth/loginPage";
import "./styles.css";

mountLogin(document.getElementById("root") as HTMLElement);
